import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import { plainText } from './inline-code';
import { displayValue, parseField, type FieldSpec } from './param-form';
import { Prose } from './Prose';

interface Props {
  field: FieldSpec;
  value: unknown;
  /** Whether the node sets this param (else the default shows and "reset" is hidden). */
  isSet: boolean;
  onCommit(value: unknown): void;
  onReset(): void;
}

/**
 * One param control. Text-like fields keep a draft while typing and commit on Enter or blur, so a
 * half-typed value is one edit (one undo step) and the canvas does not re-render per keystroke.
 * Out-of-bounds values are refused with the reason and never reach the graph.
 */
export function ParamField({ field, value, isSet, onCommit, onReset }: Props) {
  const id = useId();
  const shown = displayValue(field, value);
  const [draft, setDraft] = useState(shown);
  const [error, setError] = useState<string>();
  useEffect(() => {
    setDraft(shown);
    setError(undefined);
  }, [shown]);

  const commit = (input: string | boolean) => {
    const parsed = parseField(field, input);
    if (!parsed.ok) return setError(parsed.message);
    setError(undefined);
    if (JSON.stringify(parsed.value) !== JSON.stringify(value)) onCommit(parsed.value);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !(e.currentTarget instanceof HTMLTextAreaElement && e.shiftKey)) {
      e.preventDefault();
      commit(e.currentTarget.value);
    } else if (e.key === 'Escape') {
      setDraft(shown);
      setError(undefined);
    }
  };

  let control;
  switch (field.control) {
    case 'checkbox':
      control = <input id={id} type="checkbox" checked={shown === true} onChange={(e) => commit(e.target.checked)} data-param={field.key} />;
      break;
    case 'select':
      control = (
        <select id={id} value={String(shown)} onChange={(e) => commit(e.target.value)} data-param={field.key}>
          {field.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    case 'strings':
      control = (
        <textarea
          id={id}
          rows={Math.min(6, Math.max(2, Math.ceil(String(draft).length / 34)))}
          value={String(draft)}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={onKey}
          spellCheck={false}
          data-param={field.key}
        />
      );
      break;
    default:
      control = (
        <input
          id={id}
          type="text"
          inputMode={field.control === 'number' && field.keyword === undefined ? 'decimal' : undefined}
          value={String(draft)}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={onKey}
          spellCheck={false}
          placeholder={field.control === 'text' && field.defaultValue === '' ? '(empty)' : undefined}
          data-param={field.key}
        />
      );
  }

  return (
    <div className={`field ${field.control === 'checkbox' ? 'field-inline' : ''} ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id} title={field.help === undefined ? undefined : plainText(field.help)}>
        {field.label}
        {boundsText(field) && <span className="field-bounds">{boundsText(field)}</span>}
        {isSet && (
          <button type="button" className="link-btn" onClick={onReset} title={`Back to the default (${String(displayValue(field, field.defaultValue)) || 'empty'})`}>
            reset
          </button>
        )}
      </label>
      {control}
      {error ? <div className="field-error">{error}</div> : field.help && (
          <div className="field-help">
            <Prose text={field.help} />
          </div>
        )}
    </div>
  );
}

function boundsText(field: FieldSpec): string {
  if (field.control !== 'number' && field.control !== 'numbers') return field.control === 'strings' ? 'comma-separated' : '';
  const range = field.min !== undefined && field.max !== undefined ? `${field.min}–${field.max}` : field.min !== undefined ? `≥ ${field.min}` : field.max !== undefined ? `≤ ${field.max}` : '';
  if (field.control === 'numbers') return `comma-separated${range ? `, each ${range}` : ''}`;
  return field.keyword !== undefined ? `${field.keyword} or ${range}` : range;
}

import { useState } from 'react';
import { editLabel, labelFormOf, parseBindingText, setFeatureColumn, setHeader, setLabelRule, shownLabel, type LabelDraft, type LabelForm, type LabelMode } from '../../state/binding-editor';
import { useTrain } from '../../state/train-store';
import { Modal } from '../Modal';

/** A header-less file can miss every column: the first few say enough, the rest fold away. */
const SHOWN_PROBLEMS = 4;

const MODES: { id: LabelMode; words: string }[] = [
  { id: 'binary', words: 'is 0/1' },
  { id: 'equals', words: 'equals' },
  { id: 'atLeast', words: 'at least' },
  { id: 'numeric', words: 'as number' },
];

/**
 * How the data feeds the graph: the data column behind each graph column and the label rule of
 * each output, as the host found them; each can be changed here, or the whole binding pasted as
 * JSON (the same file the CLI takes with --binding).
 */
export function BindingEditor() {
  const { inspection, binding, setBinding } = useTrain();
  const [jsonOpen, setJsonOpen] = useState(false);
  const bound = inspection?.binding;
  const applyLayout = (json: unknown) => {
    const parsed = parseBindingText(JSON.stringify(json));
    if (parsed.ok) setBinding(parsed.binding);
  };
  const columns = inspection?.columns ?? [];
  return (
    <section className="card">
      <div className="card-head">
        <h3>Binding</h3>
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={() => setJsonOpen(true)} data-testid="binding-json">
          Edit as JSON…
        </button>
        <button type="button" className="btn btn-small" onClick={() => setBinding({})} title="Every graph column reads the data column of the same name">
          Automatic
        </button>
      </div>
      {!inspection && <p className="dim small">Choose a data file to see how it feeds the model.</p>}
      {inspection && (
        <div className="field field-inline-row">
          <label>Header row</label>
          <select value={String(binding.header ?? 'auto')} onChange={(e) => setBinding(setHeader(binding, e.target.value === 'auto' ? 'auto' : e.target.value === 'true'))} data-testid="binding-header">
            <option value="auto">detect</option>
            <option value="true">yes</option>
            <option value="false">no</option>
          </select>
        </div>
      )}
      {inspection?.layouts && (!bound || bound.problems.length > 0) && (
        <div className="layout-offer" data-testid="layout-offer">
          {inspection.layouts.map((layout) => (
            <p key={layout.id} className="issue issue-info">
              This file fits the <strong>{layout.id}</strong> layout that ships with Towerflow ({layoutFacts(layout.binding, layout.columns, inspection.hasHeader)}): its column names, encodings and label rules.{' '}
              <button type="button" className="btn btn-small" onClick={() => applyLayout(layout.binding)} data-testid={`layout-use-${layout.id}`}>
                Use {layout.id}
              </button>
            </p>
          ))}
        </div>
      )}
      {bound && bound.problems.length > 0 && (
        <ul className="issue-list" data-testid="binding-problems">
          {bound.problems.slice(0, SHOWN_PROBLEMS).map((p, i) => (
            <li key={i} className="issue issue-warning">
              {p}
            </li>
          ))}
          {bound.problems.length > SHOWN_PROBLEMS && (
            <li>
              <details>
                <summary className="dim small">and {bound.problems.length - SHOWN_PROBLEMS} more</summary>
                {bound.problems.slice(SHOWN_PROBLEMS).map((p, i) => (
                  <p key={i} className="issue issue-warning">
                    {p}
                  </p>
                ))}
              </details>
            </li>
          )}
        </ul>
      )}
      {bound && bound.problems.length === 0 && bound.features.length > 0 && (
        <p className="issue issue-ok" data-testid="binding-ok">
          Every input and label is found in the file.
        </p>
      )}
      {bound && bound.labels.length > 0 && (
        <>
          <h4>Labels</h4>
          {bound.labels.map((label) => (
            <LabelRow key={label.output} output={label.output} ruleText={label.rule} found={label.found} defaultColumn={label.columns[0] ?? ''} columns={columns} />
          ))}
        </>
      )}
      {bound && bound.features.length > 0 && (
        <details className="preview" open={bound.features.some((f) => !f.found)}>
          <summary>
            Inputs: {bound.features.filter((f) => f.found).length} of {bound.features.length} columns found
          </summary>
          <div className="table-wrap">
            <table className="data-table bind-table">
              <thead>
                <tr>
                  <th>graph column</th>
                  <th>as</th>
                  <th>data column</th>
                  <th>kind</th>
                </tr>
              </thead>
              <tbody>
                {bound.features.map((f) => (
                  <tr key={`${f.input}-${f.graphColumn}`} className={f.found ? '' : 'is-missing'}>
                    <td>{f.graphColumn}</td>
                    <td className="dim">{f.as}</td>
                    <td>
                      <select value={f.found ? f.dataColumn : ''} onChange={(e) => setBinding(setFeatureColumn(binding, f.graphColumn, e.target.value))} aria-label={`Data column for ${f.graphColumn}`}>
                        {!f.found && <option value="">{f.dataColumn} (missing)</option>}
                        {columns.map((c) => (
                          <option key={c} value={c}>
                            {c}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td className="dim">{f.inferred ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {jsonOpen && <BindingJsonDialog onClose={() => setJsonOpen(false)} />}
    </section>
  );
}

function LabelRow({ output, ruleText, found, defaultColumn, columns }: { output: string; ruleText: string; found: boolean; defaultColumn: string; columns: string[] }) {
  const { binding, setBinding } = useTrain();
  const committed = labelFormOf(binding, output, defaultColumn);
  const [draft, setDraft] = useState<LabelDraft>();
  const [draftValue, setDraftValue] = useState<string>();
  if (!committed) {
    return (
      <div className="label-row">
        <strong>{output}</strong> <code>{ruleText}</code> <span className="dim small">(composite rule: edit as JSON)</span>
      </div>
    );
  }
  const { form, error } = shownLabel(binding, committed, draft);
  const apply = (change: Partial<LabelForm>) => {
    const edit = editLabel(binding, form, change);
    setDraftValue(undefined);
    if (edit.kind === 'draft') return setDraft(edit.draft);
    setDraft(undefined);
    setBinding(setLabelRule(binding, output, edit.rule));
  };
  return (
    <div className={`label-row ${found ? '' : 'is-missing'}`} data-testid={`label-${output}`}>
      <strong className="label-output" title={output}>
        {output}
      </strong>
      <select value={form.column} onChange={(e) => apply({ column: e.target.value })} aria-label={`Label column of ${output}`}>
        {!columns.includes(form.column) && <option value={form.column}>{form.column} (missing)</option>}
        {columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
      <select value={form.mode} onChange={(e) => apply({ mode: e.target.value as LabelMode })} aria-label={`Label rule of ${output}`} data-testid={`label-mode-${output}`}>
        {MODES.map((m) => (
          <option key={m.id} value={m.id}>
            {m.words}
          </option>
        ))}
      </select>
      {(form.mode === 'equals' || form.mode === 'atLeast') && (
        <input
          type="text"
          value={draftValue ?? form.value}
          onChange={(e) => setDraftValue(e.target.value)}
          onBlur={(e) => apply({ value: e.target.value })}
          onKeyDown={(e) => e.key === 'Enter' && apply({ value: e.currentTarget.value })}
          placeholder={form.mode === 'equals' ? 'value meaning 1' : 'threshold'}
          aria-label={`Label value of ${output}`}
          data-testid={`label-value-${output}`}
          // A freshly chosen "equals" or "at least" is waiting for exactly this.
          autoFocus={draft !== undefined && form.value === ''}
        />
      )}
      <code className="label-rule dim">{ruleText}</code>
      {error && (
        <div className="field-error" data-testid={`label-error-${output}`}>
          {error}
        </div>
      )}
    </div>
  );
}

function BindingJsonDialog({ onClose }: { onClose(): void }) {
  const { binding, setBinding } = useTrain();
  const [text, setText] = useState(() => JSON.stringify(binding, null, 2));
  const [error, setError] = useState<string>();
  const apply = () => {
    const parsed = parseBindingText(text);
    if (!parsed.ok) return setError(parsed.message);
    setBinding(parsed.binding);
    onClose();
  };
  const load = async (file: File | undefined) => {
    if (file) setText(await file.text());
  };
  return (
    <Modal title="Dataset binding (JSON)" onClose={onClose} wide testId="binding-dialog">
      <p className="dim small">
        Paste a binding file (as for <code>towerflow train --binding</code>): header and column names for files without a header row, per-column encoding, and the label rule of each output.
      </p>
      <textarea className="json-area" rows={18} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} data-testid="binding-text" />
      {error && (
        <p className="issue issue-error" data-testid="binding-text-error">
          {error}
        </p>
      )}
      <div className="button-row end">
        <label className="btn file-btn">
          Load file…
          <input type="file" accept=".json,application/json" onChange={(e) => void load(e.target.files?.[0])} hidden />
        </label>
        <span className="spacer" />
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="btn btn-primary" onClick={apply} data-testid="binding-apply">
          Apply
        </button>
      </div>
    </Modal>
  );
}

/**
 * How a shipped layout reads the file. A layout with a header row offered for a file read as
 * header-less (Ali-CCP: its names are mostly numbers) says that its first row is the header after all.
 */
function layoutFacts(binding: unknown, columns: number, fileHasHeader: boolean): string {
  const header = typeof binding === 'object' && binding !== null ? (binding as { header?: unknown }).header : undefined;
  if (header === false) return `${columns} columns, no header row`;
  if (!fileHasHeader) return `${columns} columns; its first row is the header`;
  return `${columns} columns`;
}

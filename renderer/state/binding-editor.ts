import { parseBinding } from '../../app/data/binding';
import { isDataError } from '../../app/data/errors';

/**
 * The binding editor's state: a dataset binding as JSON (the same document a run saves and the
 * CLI reads), edited by small pure functions. The host's `dataset:inspect` says what each edit
 * means for the file (found or not, inferred kinds); nothing here reads the file.
 */
export interface FeatureDraft {
  column?: string;
  encoding?: 'vocabulary' | 'hash';
  minFrequency?: number;
  log?: boolean;
  separator?: string;
}

export interface BindingDraft {
  header?: boolean | 'auto';
  columns?: string[];
  features?: Record<string, FeatureDraft>;
  labels?: Record<string, unknown>;
  group?: string;
}

export type LabelMode = 'binary' | 'equals' | 'atLeast' | 'numeric';

export interface LabelForm {
  column: string;
  mode: LabelMode;
  /** The string to equal, or the threshold; unused for binary and numeric. */
  value: string;
}

export type BindingParse = { ok: true; binding: BindingDraft } | { ok: false; message: string };

/** A pasted or loaded binding file → a draft, checked with the core's own binding schema. */
export function parseBindingText(text: string): BindingParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = parseBinding(json);
  if (isDataError(parsed)) return { ok: false, message: parsed.message };
  return { ok: true, binding: json as BindingDraft };
}

/** Feeds `graphColumn` from `dataColumn`; the same name needs no entry (it is the default). */
export function setFeatureColumn(binding: BindingDraft, graphColumn: string, dataColumn: string): BindingDraft {
  const features = { ...(binding.features ?? {}) };
  const { column: _old, ...rest } = features[graphColumn] ?? {};
  const next: FeatureDraft = dataColumn === graphColumn ? rest : { ...rest, column: dataColumn };
  if (Object.keys(next).length === 0) delete features[graphColumn];
  else features[graphColumn] = next;
  return withFeatures(binding, features);
}

const withFeatures = (binding: BindingDraft, features: Record<string, FeatureDraft>): BindingDraft => {
  const { features: _old, ...rest } = binding;
  return Object.keys(features).length ? { ...rest, features } : rest;
};

/**
 * The label rule of an output as a simple form, or undefined when the rule is composite (ESMM's
 * click AND purchase), which only the JSON view edits.
 */
export function labelFormOf(binding: BindingDraft, output: string, defaultColumn: string): LabelForm | undefined {
  const rule = binding.labels?.[output];
  if (rule === undefined) return { column: defaultColumn, mode: 'binary', value: '' };
  if (typeof rule === 'string') return { column: rule, mode: 'binary', value: '' };
  if (typeof rule !== 'object' || rule === null || !('column' in rule)) return undefined;
  const r = rule as { column: string; equals?: string; atLeast?: number; numeric?: boolean };
  if (r.equals !== undefined) return { column: r.column, mode: 'equals', value: r.equals };
  if (r.atLeast !== undefined) return { column: r.column, mode: 'atLeast', value: String(r.atLeast) };
  if (r.numeric) return { column: r.column, mode: 'numeric', value: '' };
  return { column: r.column, mode: 'binary', value: '' };
}

export function ruleOfForm(form: LabelForm): { ok: true; rule: unknown } | { ok: false; message: string } {
  if (!form.column) return { ok: false, message: 'choose the label column' };
  switch (form.mode) {
    case 'binary':
      return { ok: true, rule: { column: form.column } };
    case 'numeric':
      return { ok: true, rule: { column: form.column, numeric: true } };
    case 'equals':
      return form.value.trim() === '' ? { ok: false, message: 'enter the value that means 1' } : { ok: true, rule: { column: form.column, equals: form.value } };
    case 'atLeast': {
      const threshold = Number(form.value);
      return form.value.trim() === '' || !Number.isFinite(threshold) ? { ok: false, message: 'enter a number: values at least this are 1' } : { ok: true, rule: { column: form.column, atLeast: threshold } };
    }
  }
}

const needsValue = (mode: LabelMode) => mode === 'equals' || mode === 'atLeast';

/**
 * A label rule being edited: the form as the user left it, and the binding it was started from.
 * "equals" and "at least" need a value before they are a rule, so choosing one cannot go straight
 * into the binding; the row shows the draft (with its value field) until the value makes a rule.
 */
export interface LabelDraft {
  from: BindingDraft;
  form: LabelForm;
  error?: string;
}

export type LabelEdit = { kind: 'commit'; rule: unknown } | { kind: 'draft'; draft: LabelDraft };

/**
 * One change to a label row. A mode that needs a value, chosen without one, waits for the value
 * without complaining; a value that does not make a rule stays in the draft with the reason.
 */
export function editLabel(binding: BindingDraft, shown: LabelForm, change: Partial<LabelForm>): LabelEdit {
  let next: LabelForm = { ...shown, ...change };
  const modeChanged = change.mode !== undefined && change.mode !== shown.mode;
  // "50000+." is a fine value to equal but no threshold: switching modes drops a value the new mode cannot read.
  if (modeChanged && change.value === undefined && next.mode === 'atLeast' && !Number.isFinite(Number(next.value))) next = { ...next, value: '' };
  const rule = ruleOfForm(next);
  if (rule.ok) return { kind: 'commit', rule: rule.rule };
  const waiting = needsValue(next.mode) && next.value.trim() === '' && change.value === undefined;
  return { kind: 'draft', draft: { from: binding, form: next, ...(waiting ? {} : { error: rule.message }) } };
}

/**
 * What a label row shows: its draft while the binding is the one the draft started from, else the
 * binding's own rule. Any other change to the binding (a pasted JSON file, a shipped layout,
 * "Automatic") replaces the draft and its error.
 */
export function shownLabel(binding: BindingDraft, committed: LabelForm, draft: LabelDraft | undefined): { form: LabelForm; error?: string } {
  if (draft && draft.from === binding) return { form: draft.form, ...(draft.error ? { error: draft.error } : {}) };
  return { form: committed };
}

export function setLabelRule(binding: BindingDraft, output: string, rule: unknown): BindingDraft {
  return { ...binding, labels: { ...(binding.labels ?? {}), [output]: rule } };
}

export function setHeader(binding: BindingDraft, header: boolean | 'auto'): BindingDraft {
  const { header: _old, ...rest } = binding;
  return header === 'auto' ? rest : { ...rest, header };
}

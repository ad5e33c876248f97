/**
 * Label rules are data (JSON in the graph file), not code, so a saved project says exactly
 * how each task's target was derived from the raw columns.
 *
 *   { column, equals: '50000+.' }   1 when the trimmed value equals the trimmed string
 *   { column, atLeast: 4 }          1 when the value is a number >= the threshold
 *   { column }                      the value itself, which must be 0 or 1 (cross-entropy)
 *   { column, numeric: true }       the value itself as a number (regression / MSE)
 *   { all: [r1, r2, ...] }          1 when every rule gives 1 (e.g. ESMM: click AND purchase)
 *   { any: [r1, r2, ...] }          1 when some rule gives 1
 *
 * A missing label value is an error, not a negative: silently counting unknowns as 0 biases
 * the positive rate.
 */
import { z } from 'zod';
import { dataError, showValue, type DataError } from './errors';
import { FLOAT32_MAX, isOutOfRange, outOfRangeError, parseNumber } from './numbers';
import { own } from './records';

export type LabelRule =
  | { readonly column: string; readonly equals: string }
  | { readonly column: string; readonly atLeast: number }
  | { readonly column: string; readonly numeric: true }
  | { readonly column: string }
  | { readonly all: readonly LabelRule[] }
  | { readonly any: readonly LabelRule[] };

export interface LabelRow {
  readonly line?: number;
  readonly values: Readonly<Record<string, string | null>>;
}

export function labelValue(rule: LabelRule, row: LabelRow, file?: string): number | DataError {
  if ('all' in rule) return combine(rule.all, row, file, Math.min);
  if ('any' in rule) return combine(rule.any, row, file, Math.max);
  const where = {
    ...(file !== undefined ? { file } : {}),
    ...(row.line !== undefined ? { line: row.line } : {}),
    column: rule.column,
  };
  const raw = own(row.values, rule.column);
  if (raw === undefined) return dataError('E_DATA_MISSING_COLUMN', 'the label column is not in the table', where);
  if (raw === null) return dataError('E_DATA_MISSING_LABEL', 'the label value is missing', where);
  if ('equals' in rule) return raw.trim() === rule.equals.trim() ? 1 : 0;
  const value = parseNumber(raw);
  if (value === undefined) {
    if (isOutOfRange(raw)) return outOfRangeError(raw, where);
    return dataError('E_DATA_NOT_NUMERIC', `expected a numeric label, got ${showValue(raw)}`, where);
  }
  if ('atLeast' in rule) return value >= rule.atLeast ? 1 : 0;
  if ('numeric' in rule) {
    if (Math.abs(value) <= FLOAT32_MAX) return value;
    return dataError('E_DATA_NUMBER_OUT_OF_RANGE', `the label ${value} is beyond the ±3.4e38 range of the 32-bit floats the model trains on`, where);
  }
  if (value !== 0 && value !== 1) {
    return dataError('E_DATA_LABEL_NOT_BINARY', `labels outside {0,1}: got ${showValue(raw)}`, where);
  }
  return value;
}

/** Columns a rule reads, for checking them against a table before a long run. */
export function labelColumns(rule: LabelRule): string[] {
  if ('all' in rule) return [...new Set(rule.all.flatMap(labelColumns))];
  if ('any' in rule) return [...new Set(rule.any.flatMap(labelColumns))];
  return [rule.column];
}

/** True when the rule yields 0/1 (cross-entropy); false for raw numeric (regression) labels. */
export function isBinaryRule(rule: LabelRule): boolean {
  return !('numeric' in rule);
}

/** What a label rule would make of some rows, said before training. */
export interface LabelFinding {
  readonly column: string;
  /** Words that follow the rule's description, e.g. `needs 0/1 values, but column "sex" holds …`. */
  readonly message: string;
}

/**
 * Checks a rule against sample rows (a preview of the file): missing values and values the rule
 * cannot use (text under a 0/1, numeric or `atLeast` rule), which stop training, and an `equals`
 * value that never occurs, which trains on all-0 labels. Columns the rows do not have are left to
 * the missing-column check.
 */
export function checkLabelRule(rule: LabelRule, rows: readonly LabelRow[]): LabelFinding[] {
  if ('all' in rule || 'any' in rule) return ('all' in rule ? rule.all : rule.any).flatMap((part) => checkLabelRule(part, rows));
  const { column } = rule;
  const present = rows.filter((row) => Object.hasOwn(row.values, column));
  if (present.length === 0) return [];
  const sample = `(first ${rows.length} row${rows.length === 1 ? '' : 's'})`;
  const findings: LabelFinding[] = [];
  const finding = (message: string) => findings.push({ column, message });
  const missing = present.find((row) => own(row.values, column) === null);
  if (missing !== undefined) {
    finding(`has no value in column "${column}"${missing.line !== undefined ? ` on line ${missing.line}` : ''}, and a missing label stops training`);
  }
  const values = present.map((row) => own(row.values, column)).filter((v): v is string => typeof v === 'string');
  if (values.length === 0) return findings;
  const text = values.filter((v) => parseNumber(v) === undefined);
  if ('equals' in rule) {
    const wanted = rule.equals.trim();
    if (!values.some((v) => v.trim() === wanted)) {
      finding(`is 0 on every row read: ${showValue(wanted)} never occurs in column "${column}", which holds ${examples(values)} ${sample}`);
    }
  } else if ('atLeast' in rule || 'numeric' in rule) {
    if (text.length > 0) finding(`${'atLeast' in rule ? 'compares' : 'needs'} numbers, but column "${column}" holds text: ${examples(text)} ${sample}`);
  } else if (values.some((v) => parseNumber(v) !== 0 && parseNumber(v) !== 1)) {
    const counts = countValues(values);
    const advice =
      text.length === 0
        ? `use "atLeast": ${median(values.map((v) => parseNumber(v) as number))} (for example) to mark the positives`
        : counts.size === 2
          ? `use "equals": ${showValue(rarest(counts))} to mark the positives`
          : `use "equals" with the value that marks the positives (e.g. ${showValue(rarest(counts))})`;
    finding(`needs 0/1 values, but column "${column}" holds ${examples(values)} ${sample}; ${advice}`);
  }
  return findings;
}

/** The most frequent distinct values, quoted: `"Female", "Male"` or `"a", "b", "c", …`. */
function examples(values: readonly string[]): string {
  const ordered = [...countValues(values)].sort((a, b) => b[1] - a[1]).map(([value]) => showValue(value));
  return ordered.slice(0, 3).join(', ') + (ordered.length > 3 ? ', …' : '');
}

/** The least frequent value: of two, most often the positive class. */
function rarest(counts: ReadonlyMap<string, number>): string {
  return [...counts].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
}

function countValues(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export function parseLabelRule(json: unknown): LabelRule | DataError {
  const parsed = ruleSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue !== undefined && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return dataError('E_DATA_BAD_LABEL_RULE', `invalid label rule${path}: ${issue?.message ?? 'unknown problem'}`);
}

function combine(
  rules: readonly LabelRule[],
  row: LabelRow,
  file: string | undefined,
  pick: (a: number, b: number) => number,
): number | DataError {
  // Every part is evaluated, even after the result is known, so a bad value is reported on
  // every row that has it rather than only on rows where earlier parts happened to be 1.
  let result: number | undefined;
  for (const rule of rules) {
    const value = labelValue(rule, row, file);
    if (typeof value !== 'number') return value;
    result = result === undefined ? value : pick(result, value);
  }
  return result ?? 0;
}

const column = z.string().min(1);
// Composite rules combine 0/1 values, so a raw numeric rule is not allowed inside them.
const binaryRule: z.ZodType<LabelRule> = z.lazy(() =>
  z.union([
    z.strictObject({ column, equals: z.string() }),
    z.strictObject({ column, atLeast: z.number() }),
    z.strictObject({ column }),
    z.strictObject({ all: z.array(binaryRule).min(1) }),
    z.strictObject({ any: z.array(binaryRule).min(1) }),
  ]),
);
const ruleSchema: z.ZodType<LabelRule> = z.union([z.strictObject({ column, numeric: z.literal(true) }), binaryRule]);

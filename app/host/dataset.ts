import { compileGraph } from '../compile/to-tfjs';
import { dataColumnOf, labelRules, parseBinding, type DatasetBinding } from '../data/binding';
import { inferColumnKinds, type InferredKind } from '../data/column-kinds';
import { formatDataError, isDataError, type DataError } from '../data/errors';
import { planInputs } from '../data/feature-plan';
import { checkLabelRule, labelColumns, type LabelRule } from '../data/labels';
import { parseNumber } from '../data/numbers';
import { nameRecord, own } from '../data/records';
import { splitIds } from '../data/encoders';
import { peekTable, type TableRow } from '../data/table-reader';
import type { Graph } from '../graph/schema';
import { hostError, type BoundFeature, type BoundLabel, type ColumnKindInfo, type DatasetInspection, type HostError } from './contract';

/** Rows read to guess column kinds: more than a preview shows, since the guesses count distinct values. */
const KIND_SAMPLE_ROWS = 500;

/**
 * dataset:inspect — columns, their inferred kinds, the first rows, and (given a graph) how the
 * binding feeds it: the data column behind each graph column and each label, and what is missing.
 * This is the check the training run would make first, shown before the user presses Train.
 */
export async function inspectDataset(path: string, bindingJson: unknown, rows: number, graph?: Graph): Promise<DatasetInspection | HostError> {
  const binding = parseBinding(bindingJson ?? {});
  if (isDataError(binding)) return hostError('E_BAD_BINDING', binding.message);
  const preview = await peekTable(path, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}), rows: Math.max(rows, KIND_SAMPLE_ROWS) });
  if (isDataError(preview)) return fromDataError(preview);
  const columns = [...preview.columns];
  const inferred = inferColumnKinds(preview.rows, columns);
  const kinds = Object.fromEntries(Object.entries(inferred).map(([c, k]) => [c, kindInfo(k)]));
  const inspection: DatasetInspection = {
    path,
    columns,
    separator: preview.separator,
    compressed: preview.compressed,
    hasHeader: preview.hasHeader,
    kinds,
    rows: preview.rows.slice(0, rows).map((row) => columns.map((c) => own(row.values, c) ?? null)),
    distinct: { rows: preview.rows.length, counts: distinctCounts(preview.rows, columns, inferred) },
    ...(preview.error ? { error: plainDataError(preview.error) } : {}),
  };
  if (graph) inspection.binding = bindGraph(graph, binding, columns, kinds, preview.rows);
  return inspection;
}

function bindGraph(
  graph: Graph,
  binding: DatasetBinding,
  columns: string[],
  kinds: Record<string, ColumnKindInfo>,
  rows: readonly TableRow[],
): NonNullable<DatasetInspection['binding']> {
  const compiled = compileGraph(graph);
  if (!compiled.ok) {
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    return { features: [], labels: [], problems: [`the graph has ${errors.length} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} to see how the data feeds it`] };
  }
  const { compiled: c } = compiled;
  try {
    const present = new Set(columns);
    const features: BoundFeature[] = [];
    for (const plan of planInputs(c)) {
      const graphColumns = plan.kind === 'numeric' ? plan.columns : [plan.column];
      const as = plan.kind === 'numeric' ? 'numeric' : plan.kind === 'sequence' ? 'sequence' : 'ids';
      for (const graphColumn of graphColumns) {
        const dataColumn = dataColumnOf(binding, graphColumn);
        const found = present.has(dataColumn);
        const inferred = own(kinds, dataColumn)?.kind;
        features.push({ input: plan.spec.name, nodeId: plan.spec.nodeId, graphColumn, dataColumn, as, found, ...(found && inferred ? { inferred } : {}) });
      }
    }
    const labels: BoundLabel[] = [];
    // The rows the training run would refuse, or learn nothing from, shown before it starts.
    const labelFindings: string[] = [];
    const nodeOf = new Map(c.outputs.map((o) => [o.name, o.nodeId]));
    for (const [output, rule] of labelRules(c, binding)) {
      const needed = labelColumns(rule);
      const found = needed.every((n) => present.has(n));
      labels.push({ output, nodeId: nodeOf.get(output) ?? '', rule: describeRule(rule), columns: needed, found });
      if (found) for (const f of checkLabelRule(rule, rows)) labelFindings.push(`the label of output "${output}" (${describeRule(rule)}) ${f.message}`);
    }
    const text = textColumns(rows, columns);
    const problems = [
      ...features.filter((f) => !f.found).map((f) => `graph column "${f.graphColumn}" (input "${f.input}") reads data column "${f.dataColumn}", which the file does not have`),
      ...labels.filter((l) => !l.found).map((l) => `the label of output "${l.output}" (${l.rule}) needs column${l.columns.length === 1 ? '' : 's'} ${l.columns.filter((n) => !present.has(n)).map((n) => `"${n}"`).join(', ')}, which the file does not have`),
      // Integer columns that merely look like codes are fine as numbers; text is not.
      ...features.filter((f) => f.found && f.as === 'numeric' && text.has(f.dataColumn)).map((f) => `data column "${f.dataColumn}" holds text but feeds the numeric input "${f.input}"`),
      ...labelFindings,
    ];
    return { features, labels, problems };
  } finally {
    c.model.dispose();
  }
}

export function describeRule(rule: LabelRule): string {
  if ('all' in rule) return rule.all.map(describeRule).join(' AND ');
  if ('any' in rule) return rule.any.map(describeRule).join(' OR ');
  if ('equals' in rule) return `${rule.column} = ${JSON.stringify(rule.equals)}`;
  if ('atLeast' in rule) return `${rule.column} ≥ ${rule.atLeast}`;
  if ('numeric' in rule) return `${rule.column} (number)`;
  return `${rule.column} (0/1)`;
}

/** Columns with a value in the preview that is not a number. */
function textColumns(rows: readonly TableRow[], columns: readonly string[]): Set<string> {
  const isText = (value: string | null | undefined) => value !== null && value !== undefined && parseNumber(value) === undefined;
  return new Set(columns.filter((c) => rows.some((r) => isText(own(r.values, c)))));
}

/** Distinct non-missing values per column of the sample; an id list column counts its ids. */
function distinctCounts(rows: readonly TableRow[], columns: readonly string[], kinds: Readonly<Record<string, InferredKind>>): Record<string, number> {
  const counts = nameRecord<number>();
  for (const column of columns) {
    const kind = own(kinds, column);
    const seen = new Set<string>();
    for (const row of rows) {
      const value = own(row.values, column) ?? null;
      if (kind?.kind === 'idlist') for (const id of splitIds(value, kind.separator)) seen.add(id);
      else if (value !== null && value !== '') seen.add(value);
    }
    counts[column] = seen.size;
  }
  return counts;
}

function kindInfo(kind: InferredKind): ColumnKindInfo {
  return kind.kind === 'idlist' ? { kind: 'idlist', separator: kind.separator, reason: kind.reason } : { kind: kind.kind, reason: kind.reason };
}

function plainDataError(error: DataError): NonNullable<DatasetInspection['error']> {
  return { code: error.code, message: error.message, ...(error.line !== undefined ? { line: error.line } : {}), ...(error.column !== undefined ? { column: error.column } : {}) };
}

/** Data problems keep their own codes (E_DATA_…), with file, line and column in the message. */
export const fromDataError = (error: DataError): HostError => hostError(error.code, formatDataError(error), error.file);

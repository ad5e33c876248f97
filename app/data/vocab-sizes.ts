import type { Graph, GraphNode } from '../graph/schema';
import { autoTableRows, hashedColumn, idField, type VocabParams } from '../nodes/shared/vocab';
import type { Validation } from '../validate/validate';
import { maxVocabSize as maxVocabSizeParam } from '../nodes/shared/params';
import type { EncoderJSON } from './encoders';
import type { InputPlan } from './feature-plan';
import type { FittedEncoders } from './prepare';
import { nameRecord, own } from './records';

/**
 * Per-column table sizes of inputs whose vocabSize is "auto", as data gives them: fitted encoders
 * when training starts (the sizes the run's graph.json records), or distinct counts of an inspected
 * file (the designer's estimate). Both end as the input's `vocabSizes`, which shape inference, the
 * compiler and both exports read (app/nodes/shared/vocab.ts), so they all build the same tables.
 */

const ID_INPUTS = new Set(['input.sparse', 'input.sequence']);

/** Whether a node sizes its tables from the data (vocabSize "auto", the default when it is left out). */
export const sizesFromData = (node: GraphNode): boolean =>
  ID_INPUTS.has(node.kind) && (node.params.vocabSize === undefined || node.params.vocabSize === 'auto');

const columnsOf = (node: GraphNode): string[] =>
  Array.isArray(node.params.columns)
    ? node.params.columns.filter((c): c is string => typeof c === 'string')
    : typeof node.params.column === 'string'
      ? [node.params.column]
      : [];

const capOf = (node: GraphNode): number =>
  typeof node.params.maxVocabSize === 'number' ? node.params.maxVocabSize : maxVocabSizeParam.parse(undefined);

/** Rows of the table an id encoder (a vocabulary, hashing, or an id list of either) indexes. */
export function encoderRows(json: EncoderJSON): number | undefined {
  switch (json.type) {
    case 'vocabulary':
      return json.values.length + 1;
    case 'hash':
      return json.buckets;
    case 'idlist':
      return encoderRows(json.ids);
    case 'numeric':
      return undefined;
  }
}

/** Rows per graph column, as the fitted encoders index them (columns sharing a vocabulary get one size). */
export function fittedTableRows(plans: readonly InputPlan[], encoders: FittedEncoders): Map<string, number> {
  const rows = new Map<string, number>();
  for (const plan of plans) {
    if (plan.kind === 'numeric') continue;
    const json = Object.hasOwn(encoders.inputs, plan.spec.name) ? encoders.inputs[plan.spec.name]?.encoders[0] : undefined;
    const size = json ? encoderRows(json) : undefined;
    if (size !== undefined) rows.set(plan.column, size);
  }
  return rows;
}

/**
 * Estimated rows per graph column from distinct counts (by graph column) of a sample: the distinct
 * values + 1, capped as a fit caps them. Columns looked up in one shared table (DIN's candidate item
 * and history) share one vocabulary, so each gets the largest estimate of its table.
 */
export function estimatedTableRows(graph: Graph, distinct: ReadonlyMap<string, number>): Map<string, number> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const tableOf = new Map<string, string>();
  for (const node of graph.nodes) {
    if (node.kind !== 'embedding') continue;
    const table = typeof node.params.table === 'string' ? node.params.table.trim() : '';
    for (const edge of graph.edges) {
      if (edge.target.node !== node.id || edge.target.port !== 'ids') continue;
      const source = byId.get(edge.source.node);
      for (const column of source ? columnsOf(source) : []) tableOf.set(column, table || column);
    }
  }
  const largest = new Map<string, number>();
  for (const [column, count] of distinct) {
    const table = tableOf.get(column) ?? column;
    largest.set(table, Math.max(largest.get(table) ?? 0, count));
  }
  const rows = new Map<string, number>();
  for (const node of graph.nodes) {
    if (!sizesFromData(node)) continue;
    for (const column of columnsOf(node)) {
      const count = largest.get(tableOf.get(column) ?? column);
      // A column the file lacks still takes its shared table's estimate, so the table's lookups agree.
      if (count !== undefined) rows.set(column, autoTableRows(count, capOf(node)));
    }
  }
  return rows;
}

/**
 * The graph with each auto input's `vocabSizes` set to the given rows of its columns (columns
 * without a number keep the placeholder). `keepRecorded`: sizes already recorded stay (a fit of the
 * whole file beats an estimate from its first rows). The same graph object when nothing changes,
 * so memoised views of the graph stay put.
 */
export function withVocabSizes(graph: Graph, rows: ReadonlyMap<string, number>, options: { keepRecorded?: boolean } = {}): Graph {
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    if (!sizesFromData(node)) return node;
    const recorded = isSizes(node.params.vocabSizes) ? node.params.vocabSizes : {};
    const sizes = nameRecord<number>();
    for (const column of columnsOf(node)) {
      const size = options.keepRecorded ? (own(recorded, column) ?? rows.get(column)) : rows.get(column);
      if (size !== undefined) sizes[column] = size;
    }
    if (sameRecord(sizes, node.params.vocabSizes)) return node;
    changed = true;
    const { vocabSizes: _old, ...rest } = node.params;
    return { ...node, params: Object.keys(sizes).length > 0 ? { ...rest, vocabSizes: sizes } : rest };
  });
  return changed ? { ...graph, nodes } : graph;
}

const isSizes = (value: unknown): value is Record<string, number> => typeof value === 'object' && value !== null && !Array.isArray(value);

function sameRecord(a: Record<string, number>, b: unknown): boolean {
  const other = typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
  const keys = Object.keys(a);
  return keys.length === Object.keys(other).length && keys.every((k) => Object.hasOwn(other, k) && other[k] === a[k]);
}

/**
 * The table an id input's column is built with, as the exports describe it to their data code: its
 * rows, and whether the column is hashed into them (binding "encoding": "hash" aside).
 */
export function planTable(plan: Extract<InputPlan, { vocab: string }>, validation: Pick<Validation, 'structure'>): { rows: number; hashed: boolean } {
  // Parsed by the sparse or sequence input's schema, which has the three sizing params.
  const params = validation.structure.nodes.get(plan.spec.nodeId)?.params as VocabParams | undefined;
  if (!params) throw new Error(`Bug: model input ${plan.spec.name} has no validated node`);
  return { rows: idField(params, plan.column).vocabSize, hashed: hashedColumn(params, plan.column) };
}

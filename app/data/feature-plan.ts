import type { CompiledGraph, ModelInputSpec } from '../compile/to-tfjs';

/**
 * What each model input needs from the data: a categorical column (ids), an id list (sequence) or
 * numeric columns. Columns looked up in one embedding table share one vocabulary (`vocab`), so DIN's
 * candidate item and history encode items to the same ids.
 */
export type InputPlan =
  | ({ kind: 'ids'; spec: ModelInputSpec; column: string; vocab: string } & VocabSizing)
  | ({
      kind: 'sequence';
      spec: ModelInputSpec;
      column: string;
      vocab: string;
      maxLength: number;
      /** Set when the model joins this sequence position by position with others: the first input name of that group. */
      group?: string;
    } & VocabSizing)
  | { kind: 'numeric'; spec: ModelInputSpec; columns: string[] };

/**
 * How an id column's table is sized: a fixed number of rows, or "auto" (fitted from the data, at
 * most maxVocabSize rows, hashed above that; app/nodes/shared/vocab.ts).
 */
export interface VocabSizing {
  vocabSize: number | 'auto';
  maxVocabSize: number;
}

export function planInputs(compiled: Pick<CompiledGraph, 'inputs' | 'validation'>): InputPlan[] {
  const { nodes, incoming } = compiled.validation.structure;
  const tableOfColumn = new Map<string, string>();
  for (const entry of nodes.values()) {
    if (entry.node.kind !== 'embedding' || !entry.params) continue;
    const source = incoming.get(entry.node.id)?.get('ids')?.[0]?.source.node;
    const input = source === undefined ? undefined : nodes.get(source);
    const table = typeof entry.params.table === 'string' ? entry.params.table : '';
    for (const column of columnsOf(input?.params)) tableOfColumn.set(column, table || column);
  }
  const groups = new Map<string, string>();
  for (const group of sequenceGroups(compiled)) for (const name of group) groups.set(name, group[0] as string);
  return compiled.inputs.map((spec): InputPlan => {
    const entry = nodes.get(spec.nodeId);
    const sizing: VocabSizing = {
      vocabSize: entry?.params?.vocabSize === 'auto' ? 'auto' : typeof entry?.params?.vocabSize === 'number' ? entry.params.vocabSize : 2,
      maxVocabSize: typeof entry?.params?.maxVocabSize === 'number' ? entry.params.maxVocabSize : 2,
    };
    const column = spec.columns[0] ?? spec.name;
    if (spec.dtype === 'float32') return { kind: 'numeric', spec, columns: spec.columns };
    const vocab = tableOfColumn.get(column) ?? column;
    if (entry?.node.kind === 'input.sequence') {
      const group = groups.get(spec.name);
      return { kind: 'sequence', spec, column, vocab, ...sizing, maxLength: spec.shape[0] ?? 1, ...(group !== undefined ? { group } : {}) };
    }
    return { kind: 'ids', spec, column, vocab, ...sizing };
  });
}

/**
 * Sequence inputs that the model joins position by position (a concat of DIN's item and category
 * histories, or anything else that takes two masked sequences), as groups of input names in input
 * order; a sequence used alone is in none. A masked tensor carries the positions of the sequence
 * inputs it came from; a node that takes masked tensors from several of them pairs their positions.
 */
export function sequenceGroups(compiled: Pick<CompiledGraph, 'inputs' | 'validation'>): string[][] {
  const { structure, order, edgeTensors } = compiled.validation;
  const carries = new Map<string, Set<string>>();
  const root = new Map<string, string>();
  const find = (id: string): string => {
    let at = id;
    while (root.get(at) !== at) at = root.get(at) as string;
    return at;
  };
  for (const id of order) {
    if (structure.nodes.get(id)?.node.kind === 'input.sequence') {
      carries.set(id, new Set([id]));
      root.set(id, id);
      continue;
    }
    const carried = new Set<string>();
    for (const edges of structure.incoming.get(id)?.values() ?? []) {
      for (const edge of edges) {
        if (!edgeTensors.get(edge.id)?.masked) continue;
        for (const source of carries.get(edge.source.node) ?? []) carried.add(source);
      }
    }
    const [first, ...rest] = carried;
    for (const other of rest) root.set(find(other), find(first as string));
    carries.set(id, carried);
  }
  const members = new Map<string, string[]>();
  for (const spec of compiled.inputs) {
    if (!root.has(spec.nodeId)) continue;
    const key = find(spec.nodeId);
    members.set(key, [...(members.get(key) ?? []), spec.name]);
  }
  return [...members.values()].filter((names) => names.length > 1);
}

function columnsOf(params: Record<string, unknown> | undefined): string[] {
  if (!params) return [];
  if (Array.isArray(params.columns)) return params.columns.filter((c): c is string => typeof c === 'string');
  return typeof params.column === 'string' ? [params.column] : [];
}

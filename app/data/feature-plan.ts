import type { CompiledGraph, ModelInputSpec } from '../compile/to-tfjs';

/**
 * What each model input needs from the data: a categorical column (ids), an id list (sequence) or
 * numeric columns. Columns looked up in one embedding table share one vocabulary (`vocab`), so DIN's
 * candidate item and history encode items to the same ids.
 */
export type InputPlan =
  | { kind: 'ids'; spec: ModelInputSpec; column: string; vocab: string; vocabSize: number }
  | { kind: 'sequence'; spec: ModelInputSpec; column: string; vocab: string; vocabSize: number; maxLength: number }
  | { kind: 'numeric'; spec: ModelInputSpec; columns: string[] };

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
  return compiled.inputs.map((spec): InputPlan => {
    const entry = nodes.get(spec.nodeId);
    const vocabSize = typeof entry?.params?.vocabSize === 'number' ? entry.params.vocabSize : 2;
    const column = spec.columns[0] ?? spec.name;
    if (spec.dtype === 'float32') return { kind: 'numeric', spec, columns: spec.columns };
    const vocab = tableOfColumn.get(column) ?? column;
    if (entry?.node.kind === 'input.sequence') return { kind: 'sequence', spec, column, vocab, vocabSize, maxLength: spec.shape[0] ?? 1 };
    return { kind: 'ids', spec, column, vocab, vocabSize };
  });
}

function columnsOf(params: Record<string, unknown> | undefined): string[] {
  if (!params) return [];
  if (Array.isArray(params.columns)) return params.columns.filter((c): c is string => typeof c === 'string');
  return typeof params.column === 'string' ? [params.column] : [];
}

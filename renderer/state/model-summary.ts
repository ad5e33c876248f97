import { useEffect, useState } from 'react';
import type { Graph } from '../../app/graph/schema';
import type { Validation } from '../../app/validate/validate';
import SummaryWorker from './summary.worker?worker';
import { validationOf } from './validation';

/**
 * Parameter count and embedding memory for the status bar. Memory is computed from the inferred
 * tables (cheap, exact); the parameter count comes from compiling the graph in a worker, debounced.
 */
export interface EmbeddingTables {
  tables: { name: string; vocabSize: number; dim: number }[];
  elements: number;
  bytes: number;
}

/** Tables as the embedding kind claims them: by `table` name, else one per column; shared by name. */
export function embeddingTables(graph: Graph, validation: Validation): EmbeddingTables {
  const tables = new Map<string, { name: string; vocabSize: number; dim: number }>();
  for (const node of graph.nodes) {
    if (node.kind !== 'embedding') continue;
    const entry = validation.structure.nodes.get(node.id);
    const params = entry?.params as { dim?: number; table?: string } | undefined;
    const edge = graph.edges.find((e) => e.target.node === node.id && e.target.port === 'ids');
    const ids = edge ? validation.edgeTensors.get(edge.id) : undefined;
    if (!params?.dim || !ids?.fields) continue;
    for (const field of ids.fields) {
      const name = params.table || field.column;
      if (!tables.has(name)) tables.set(name, { name, vocabSize: field.vocabSize, dim: params.dim });
    }
  }
  const list = [...tables.values()];
  const elements = list.reduce((sum, t) => sum + t.vocabSize * t.dim, 0);
  return { tables: list, elements, bytes: elements * 4 };
}

/** Above this many embedding weights, building the model just to count is not worth the memory. */
const COUNT_LIMIT = 50_000_000;

export interface ModelSummary {
  parameters?: number;
  /** Why there is no count (errors in the graph, too large to build here). */
  note?: string;
  embedding: EmbeddingTables;
  pending: boolean;
}

let worker: Worker | undefined;
let seq = 0;

export function useModelSummary(graph: Graph): ModelSummary {
  const validation = validationOf(graph);
  const embedding = embeddingTables(graph, validation);
  const [counted, setCounted] = useState<{ validation: Validation; parameters?: number; note?: string }>();

  useEffect(() => {
    if (!validation.ok) return;
    if (embedding.elements > COUNT_LIMIT) return;
    const timer = setTimeout(() => {
      worker ??= new SummaryWorker();
      const mine = ++seq;
      const w = worker;
      const onMessage = (event: MessageEvent<{ seq: number; parameters?: number; error?: string }>) => {
        if (event.data.seq !== mine) return;
        w.removeEventListener('message', onMessage);
        setCounted({ validation, parameters: event.data.parameters, note: event.data.error });
      };
      w.addEventListener('message', onMessage);
      w.postMessage({ seq: mine, graph });
    }, 500);
    return () => clearTimeout(timer);
    // validation changes exactly when the count can change (positions do not matter)
  }, [validation]);

  if (!validation.ok) return { embedding, pending: false, note: 'fix the errors to count parameters' };
  if (embedding.elements > COUNT_LIMIT) return { embedding, pending: false, note: 'too large to build here' };
  if (counted?.validation !== validation) return { embedding, pending: true, ...(counted?.parameters !== undefined ? { parameters: counted.parameters } : {}) };
  return { embedding, pending: false, ...(counted.parameters !== undefined ? { parameters: counted.parameters } : {}), ...(counted.note ? { note: counted.note } : {}) };
}

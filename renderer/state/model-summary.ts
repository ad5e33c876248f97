import { useEffect, useState } from 'react';
import type { Graph } from '../../app/graph/schema';
import { LARGE_PARAMETERS, modelSize, type ModelSize } from '../../app/validate/model-size';
import type { Validation } from '../../app/validate/validate';
import SummaryWorker from './summary.worker?worker';
import { validationOf } from './validation';

/**
 * Parameter count and embedding memory for the status bar. Memory comes from the core's sizing of
 * the graph (app/validate/model-size.ts, the figures validation refuses a model by); the parameter
 * count comes from compiling the graph in a worker, debounced.
 */
export interface EmbeddingTables {
  tables: { name: string; vocabSize: number; dim: number }[];
  elements: number;
  bytes: number;
}

const embeddingTables = (size: ModelSize): EmbeddingTables => ({ tables: size.tables, elements: size.tableElements, bytes: size.tableElements * 4 });

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
  const size = modelSize(validation);
  const embedding = embeddingTables(size);
  // Past this a model is flagged as large anyway; building it here just to count is not worth the memory.
  const tooLarge = size.parameters > LARGE_PARAMETERS;
  const [counted, setCounted] = useState<{ validation: Validation; parameters?: number; note?: string }>();

  useEffect(() => {
    if (!validation.ok) return;
    if (tooLarge) return;
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
  if (tooLarge) return { embedding, pending: false, note: 'too large to build here' };
  if (counted?.validation !== validation) return { embedding, pending: true, ...(counted?.parameters !== undefined ? { parameters: counted.parameters } : {}) };
  return { embedding, pending: false, ...(counted.parameters !== undefined ? { parameters: counted.parameters } : {}), ...(counted.note ? { note: counted.note } : {}) };
}

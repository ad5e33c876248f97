import { useEffect, useState } from 'react';
import type { Graph } from '../../app/graph/schema';
import { LARGE_PARAMETERS, modelSize, type ModelSize } from '../../app/validate/model-size';
import type { Validation } from '../../app/validate/validate';
import SummaryWorker from './summary.worker?worker';
import { validationOf } from './validation';
import { designerGraph, useVocabEstimate, vocabSizing } from './vocab-estimate';

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
  /** What auto vocabulary sizes rest on (a fit, an inspected file, a placeholder); absent when no input sizes from the data. */
  sizing?: { estimated: boolean; note: string };
}

let worker: Worker | undefined;
let seq = 0;

export function useModelSummary(graph: Graph): ModelSummary {
  const estimate = useVocabEstimate((s) => s.estimate);
  const validation = validationOf(graph);
  const size = modelSize(validation);
  const sizing = vocabSizing(graph, validation, estimate);
  const embedding = embeddingTables(size);
  const sized = sizing ? { sizing } : {};
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
      // The graph validation sized (auto columns by the last inspected file), so the count matches the tables shown.
      w.postMessage({ seq: mine, graph: designerGraph(graph) });
    }, 500);
    return () => clearTimeout(timer);
    // validation changes exactly when the count can change (positions do not matter)
  }, [validation]);

  if (!validation.ok) return { embedding, ...sized, pending: false, note: 'fix the errors to count parameters' };
  if (tooLarge) return { embedding, ...sized, pending: false, note: 'too large to build here' };
  if (counted?.validation !== validation) return { embedding, ...sized, pending: true, ...(counted?.parameters !== undefined ? { parameters: counted.parameters } : {}) };
  return { embedding, ...sized, pending: false, ...(counted.parameters !== undefined ? { parameters: counted.parameters } : {}), ...(counted.note ? { note: counted.note } : {}) };
}

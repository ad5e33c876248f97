import { compileGraph } from '../compile/to-tfjs';
import { loadGraph } from '../graph/load';
import type { Graph } from '../graph/schema';
import { validateGraph } from '../validate/validate';
import { hostError, type EmbeddingMemory, type HostError, type SummaryResponse, type ValidateResponse } from './contract';
import type { Diagnostic } from '../validate/diagnostics';

/**
 * The graph channels' work. Requests carry the document as the UI holds it; it goes through the
 * same load path as a file (parse → migrate → check → normalise), so the UI and the CLI see the
 * same diagnostics for the same graph.
 */
export function toGraph(doc: unknown): { graph: Graph } | { diagnostics: Diagnostic[] } | HostError {
  let text: string;
  try {
    text = JSON.stringify(doc);
  } catch (error) {
    // Only reachable through Electron's structured clone, which can carry cycles and BigInts.
    return hostError('E_IPC_ARGUMENT', `the graph cannot be read as JSON (${(error as Error).message})`);
  }
  const loaded = loadGraph(text ?? 'null');
  return loaded.graph ? { graph: loaded.graph } : { diagnostics: loaded.diagnostics };
}

export function validateDocument(doc: unknown): ValidateResponse | HostError {
  const loaded = toGraph(doc);
  if ('error' in loaded) return loaded;
  if ('diagnostics' in loaded) return { ok: false, diagnostics: loaded.diagnostics, edgeTensors: {} };
  const validation = validateGraph(loaded.graph);
  return { ok: validation.ok, diagnostics: validation.diagnostics, edgeTensors: Object.fromEntries(validation.edgeTensors) };
}

/** Parameter count from the compiled model itself, and embedding memory as rows × dim × 4 bytes. */
export function summarise(graph: Graph): SummaryResponse {
  const compiled = compileGraph(graph);
  if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics };
  const { model, tables, inputs, outputs, validation } = compiled.compiled;
  try {
    const embeddings: EmbeddingMemory[] = tables.map((t) => ({ table: t.name, rows: t.vocabSize, dim: t.dim, bytes: t.vocabSize * t.dim * 4 }));
    return {
      ok: true,
      parameters: model.countParams(),
      embeddings,
      embeddingBytes: embeddings.reduce((sum, e) => sum + e.bytes, 0),
      inputs: inputs.map((i) => ({ name: i.name, nodeId: i.nodeId, dtype: i.dtype, shape: i.shape, columns: i.columns })),
      outputs: outputs.map((o) => ({ name: o.name, nodeId: o.nodeId, ...(o.label !== undefined ? { label: o.label } : {}), loss: o.loss, lossWeight: o.lossWeight })),
      diagnostics: validation.diagnostics,
    };
  } finally {
    model.dispose();
  }
}

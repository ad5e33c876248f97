import type * as tf from '@tensorflow/tfjs';
import type { Graph } from '../../graph/schema';
import { compileGraph } from '../../compile/to-tfjs';
import type { Diagnostic } from '../../validate/diagnostics';

/**
 * model.json of a Towerflow run of this graph, without its weights: the compiled model's topology
 * and the weight manifest (names, shapes, dtypes in the order weights.bin holds them). The package
 * keeps it as tfjs_model.json, so to_towerflow.py can write a checkpoint back as a run folder —
 * model/model.json as is, model/weights.bin in the manifest's order — that tf.loadLayersModel (and
 * so `towerflow predict` and the app) reads, without Towerflow or tfjs on the training machine.
 *
 * It is exactly what a run saves: the graph is compiled and saved through a handler that keeps the
 * artifacts (weights aside). Layer names come from the graph, so the same graph gives the same text.
 */
export interface TfjsModelJson {
  modelTopology: unknown;
  format: string;
  generatedBy: string;
  convertedBy: null;
  weightsManifest: [{ paths: ['weights.bin']; weights: tf.io.WeightsManifestEntry[] }];
}

export async function tfjsModelJson(graph: Graph): Promise<{ ok: true; model: TfjsModelJson } | { ok: false; diagnostics: Diagnostic[] }> {
  const compiled = compileGraph(graph);
  if (!compiled.ok) return { ok: false, diagnostics: compiled.diagnostics };
  const { model } = compiled.compiled;
  try {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save({
      save: (saved) => {
        artifacts = saved;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      },
    });
    if (!artifacts) throw new Error('Bug: tfjs saved the model without handing over its artifacts');
    return {
      ok: true,
      model: {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'TensorFlow.js',
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      },
    };
  } finally {
    model.dispose();
  }
}

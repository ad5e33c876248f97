import { readFileSync } from 'node:fs';
import { compileGraph, type CompiledGraph } from '../app/compile/to-tfjs';
import { createRng } from '../app/data/random';
import { loadGraph } from '../app/graph/load';
import type { Graph } from '../app/graph/schema';
import type { EncodedSplit } from '../app/train/encoded';

/** Every shipped template, in the order the README's table lists them. */
export const TEMPLATES = ['shared-bottom', 'omoe', 'mmoe', 'cgc', 'ple', 'esmm', 'din'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/**
 * Table rows of an id input that sizes its tables from the data (vocabSize "auto"): the bench has
 * no data to fit, so it fixes them, the census templates' at the census bench's 64 rows a column.
 */
const BENCH_VOCAB: Record<TemplateName, number> = { 'shared-bottom': 64, omoe: 64, mmoe: 64, cgc: 64, ple: 64, esmm: 1000, din: 1000 };

/** The template, with a fixed vocabSize on every id input, so the compiled model and model.py build the same tables. */
export function templateGraph(name: TemplateName): Graph {
  const loaded = loadGraph(readFileSync(new URL(`../templates/${name}.json`, import.meta.url), 'utf8'));
  if (!loaded.graph) throw new Error(`templates/${name}.json did not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  const graph = loaded.graph;
  const nodes = graph.nodes.map((node) =>
    (node.kind === 'input.sparse' || node.kind === 'input.sequence') && typeof node.params?.vocabSize !== 'number'
      ? { ...node, params: { ...node.params, vocabSize: BENCH_VOCAB[name] } }
      : node,
  );
  return { ...graph, nodes };
}

export function compileTemplate(graph: Graph, seed: number): CompiledGraph {
  const result = compileGraph(graph, { seed });
  if (!result.ok) throw new Error(`${graph.name} did not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.compiled;
}

/**
 * Already-encoded training rows for any graph, drawn from its own input nodes: ids below each
 * input's vocabulary size (0, the missing id, included), sequences of known ids (1 and up)
 * left-padded with 0 to a random length as the encoder pads them, standard-normal numbers. Only ESMM and DIN lack a large real
 * data set beside the repo (Ali-CCP's sample has 100 rows), and a speed comparison only needs both
 * engines to read the same arrays; so every template trains on data made this way.
 *
 * Each label is a Bernoulli draw from a logistic model of the first id of every row (one random
 * effect per id), so the losses fall and the optimiser's updates are real. A label that the graph
 * names twice (ESMM's purchase implies click) is not modelled: each label column is drawn alone.
 */
export function templateSplit(graph: Graph, compiled: Pick<CompiledGraph, 'inputs' | 'outputs'>, rows: number, seed: number): EncodedSplit {
  const rng = createRng(seed);
  const inputs: EncodedSplit['inputs'] = {};
  const logit = new Float64Array(rows);
  for (const spec of compiled.inputs) {
    const node = graph.nodes.find((n) => n.id === spec.nodeId);
    const width = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'float32') {
      inputs[spec.name] = Float32Array.from({ length: rows * width }, () => rng.normal());
      continue;
    }
    const vocab = Number((node?.params as { vocabSize?: unknown } | undefined)?.vocabSize);
    if (!Number.isInteger(vocab) || vocab < 2) throw new Error(`${graph.name}: input ${spec.name} has no vocabSize`);
    const ids = new Int32Array(rows * width);
    const sequence = node?.kind === 'input.sequence';
    const effects = Float64Array.from({ length: vocab }, () => rng.normal(0, 0.5));
    for (let r = 0; r < rows; r++) {
      const padded = sequence ? width - 1 - rng.int(width) : 0;
      // A behaviour the encoder keeps is a known id: 0 appears in a sequence only as padding.
      for (let c = padded; c < width; c++) ids[r * width + c] = sequence ? 1 + rng.int(vocab - 1) : rng.int(vocab);
      logit[r] = (logit[r] ?? 0) + (effects[ids[r * width + width - 1] ?? 0] ?? 0);
    }
    inputs[spec.name] = ids;
  }
  const labels: EncodedSplit['labels'] = {};
  for (const output of compiled.outputs) {
    if (output.label === undefined) continue;
    const shift = rng.normal(0, 0.5);
    labels[output.name] = Float32Array.from(logit, (z) => (rng.next() < 1 / (1 + Math.exp(-(z + shift))) ? 1 : 0));
  }
  return { rows, inputs, labels };
}

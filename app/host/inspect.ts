import * as tf from '@tensorflow/tfjs';
import { openTable } from '../data/table-reader';
import { IdListEncoder, encoderFromJSON, splitIds } from '../data/encoders';
import { encodeFile } from '../data/prepare';
import { formatDataError, isDataError } from '../data/errors';
import { makeSplitter } from '../data/split';
import { batchInputs, range, type EncodedSplit } from '../train/encoded';
import { loadRun, type LoadedRun } from '../train/run';
import { hostError, type AttentionInspection, type GateInspection, type HostError, type RunInspection } from './contract';

/**
 * runs:inspect — looks inside a trained model. For mixture-of-experts models: each gate's mean
 * softmax weight per expert over the inspection rows (a gates × experts matrix). For DIN: the
 * attention unit's score for each history position of one row. Both read intermediate layers
 * through a probe model that shares the trained model's inputs and weights: the gate node's Dense
 * layer `<gate>_weights`, the attention node's `<attention>_unit` (compiledGraph.nodeLayers maps
 * node ids to those layer names).
 *
 * The inspection rows are the given data file, else the run's validation rows (its validation file,
 * or the share of the training file held out with the run's seed — the very rows it validated on).
 */
const MAX_ROWS = 20_000;
const BATCH = 2048;

export interface InspectRequest {
  dir: string;
  view: 'gates' | 'attention';
  data?: string;
  row?: number;
}

export async function inspectRun(request: InspectRequest): Promise<RunInspection | HostError> {
  const run = await loadRun(request.dir);
  if ('error' in run) return hostError('E_NOT_A_RUN', run.error, request.dir);
  try {
    const rows = await inspectionRows(run, request.data);
    if ('error' in rows) return rows;
    return request.view === 'gates' ? gates(run, rows) : await attention(run, rows, request.row ?? 0);
  } finally {
    run.model.dispose();
    run.compiled.model.dispose();
  }
}

interface InspectionRows {
  file: string;
  split: 'file' | 'validation';
  encoded: EncodedSplit;
  /** Row indices in the file (0-based data rows), in file order. */
  indices: number[];
}

async function inspectionRows(run: LoadedRun, data?: string): Promise<InspectionRows | HostError> {
  const summary = run.summary;
  const file = data ?? summary?.data.valid ?? summary?.data.train;
  if (!file) return hostError('E_INSPECT', `${run.dir} has no summary.json to say what it validated on; pass a data file`);
  const encoded = await encodeFile(run.compiled, run.encoders, { ...run.binding, labels: {} }, file, false);
  if (isDataError(encoded)) return hostError(encoded.code, formatDataError(encoded), file);
  const heldOut = data === undefined && summary !== undefined && summary.data.valid === undefined;
  let indices = range(0, encoded.rows);
  if (heldOut) {
    const share = summary.data.validationShare;
    const splitter = makeSplitter({ train: 1 - share, validation: share }, summary.options.seed);
    if (isDataError(splitter)) return hostError(splitter.code, splitter.message);
    indices = indices.filter((i) => splitter.ofIndex(i) === 'validation');
    if (indices.length === 0) return hostError('E_INSPECT', `the run held out no validation rows of ${file}; pass a data file`);
  }
  return { file, split: data === undefined ? 'validation' : 'file', encoded, indices: Array.from(indices) };
}

function gates(run: LoadedRun, rows: InspectionRows): GateInspection | HostError {
  const { structure, edgeTensors } = run.compiled.validation;
  const found = run.graph.nodes
    .filter((n) => n.kind === 'gate')
    .map((node) => ({ node, layer: run.compiled.nodeLayers.get(node.id)?.find((name) => name.endsWith('_weights')) }))
    .filter((g): g is { node: (typeof g)['node']; layer: string } => g.layer !== undefined);
  if (found.length === 0) return hostError('E_INSPECT', `${run.graph.name} has no gates to inspect (the gates view is for mixture-of-experts models)`);
  const used = rows.indices.slice(0, MAX_ROWS);
  const sums = probe(run, found.map((g) => g.layer), rows.encoded, used, (outputs) => outputs.map((t) => t.sum(0)));
  return {
    view: 'gates',
    data: rows.file,
    rows: used.length,
    split: rows.split,
    gates: found.map((g, i) => {
      const experts = (structure.incoming.get(g.node.id)?.get('experts') ?? []).flatMap((edge) => {
        const label = structure.nodes.get(edge.source.node)?.node.label ?? edge.source.node;
        const shape = edgeTensors.get(edge.id)?.shape ?? [];
        return shape.length === 2 ? Array.from({ length: shape[0] ?? 0 }, (_, k) => `${label} ${k + 1}`) : [label];
      });
      const weights = Array.from(sums[i] ?? [], (s) => s / used.length);
      return { nodeId: g.node.id, label: g.node.label, layer: g.layer, experts: experts.length === weights.length ? experts : weights.map((_, k) => `expert ${k + 1}`), weights };
    }),
  };
}

async function attention(run: LoadedRun, rows: InspectionRows, row: number): Promise<AttentionInspection | HostError> {
  const found = run.graph.nodes
    .filter((n) => n.kind === 'attention')
    .map((node) => ({ node, layer: run.compiled.nodeLayers.get(node.id)?.find((name) => name.endsWith('_unit')) }))
    .filter((a): a is { node: (typeof a)['node']; layer: string } => a.layer !== undefined);
  if (found.length === 0) return hostError('E_INSPECT', `${run.graph.name} has no attention node to inspect (the attention view is for DIN models)`);
  const fileIndex = rows.indices[row];
  if (fileIndex === undefined) return hostError('E_INSPECT', `row ${row} is past the last inspection row (${rows.indices.length - 1})`);
  const scores = probe(run, found.map((a) => a.layer), rows.encoded, [fileIndex], (outputs) => outputs);
  const attentions = [];
  for (const [i, a] of found.entries()) {
    const values = Array.from(scores[i] ?? []);
    attentions.push({ nodeId: a.node.id, label: a.node.label, layer: a.layer, scores: values, items: await historyItems(run, a.node.id, rows.file, fileIndex, values.length) });
  }
  return { view: 'attention', data: rows.file, rows: rows.indices.length, split: rows.split, row, attentions };
}

/**
 * Runs the trained model up to the named layers on the given rows, batch by batch; `reduce` turns
 * each batch's outputs into the tensors kept (summed over batches).
 */
function probe(run: LoadedRun, layers: string[], split: EncodedSplit, indices: number[], reduce: (outputs: tf.Tensor[]) => tf.Tensor[]): Float32Array[] {
  const model = tf.model({ inputs: run.model.inputs, outputs: layers.map((name) => run.model.getLayer(name).output as tf.SymbolicTensor) });
  let totals: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += BATCH) {
    const values = tf.tidy(() => {
      const raw = model.predict(batchInputs(split, run.compiled.inputs, indices.slice(start, start + BATCH)));
      return reduce(Array.isArray(raw) ? raw : [raw]).map((t) => t.dataSync() as Float32Array);
    });
    totals = totals.length === 0 ? values.map((v) => Float32Array.from(v)) : totals.map((t, i) => t.map((x, k) => x + ((values[i] as Float32Array)[k] as number)));
  }
  return totals;
}

/**
 * The history items at each position, as the encoder laid them out: known ids only, the last
 * `length` of them, right-aligned after padding (null). Found by following the attention's keys
 * back to the sequence input and reading that row's raw value.
 */
async function historyItems(run: LoadedRun, attentionId: string, file: string, fileIndex: number, length: number): Promise<(string | null)[]> {
  const { incoming } = run.compiled.validation.structure;
  const embedding = incoming.get(attentionId)?.get('keys')?.[0]?.source.node;
  const sequence = embedding === undefined ? undefined : incoming.get(embedding)?.get('ids')?.[0]?.source.node;
  const spec = run.compiled.inputs.find((i) => i.nodeId === sequence);
  const fitted = spec ? run.encoders.inputs[spec.name] : undefined;
  const encoder = fitted?.encoders[0] ? encoderFromJSON(fitted.encoders[0]) : undefined;
  const column = fitted?.columns[0];
  const empty = Array.from({ length }, () => null);
  if (!(encoder instanceof IdListEncoder) || column === undefined) return empty;
  const table = await openTable(file, { header: run.binding.header, ...(run.binding.columns ? { columns: run.binding.columns } : {}) });
  if (isDataError(table)) return empty;
  let index = 0;
  for await (const row of table.rows()) {
    if (isDataError(row)) return empty;
    if (index++ !== fileIndex) continue;
    const known = splitIds(row.values[column] ?? null, encoder.separator).filter((token) => encoder.ids.encode(token) !== 0);
    const kept = known.slice(Math.max(0, known.length - length));
    return [...Array.from({ length: length - kept.length }, () => null), ...kept];
  }
  return empty;
}

import * as tf from '@tensorflow/tfjs';
import { openTable, type TableRow } from '../data/table-reader';
import { IdListEncoder, IdListGroup, encoderFromJSON } from '../data/encoders';
import { makeRowEncoder } from '../data/prepare';
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
 * or the share of the training file held out with the run's seed — the very rows it validated on);
 * only the first INSPECTION_ROWS of them are read.
 */
/**
 * Mean gate weights settle long before this: on census MMoE the first 2,000 validation rows give
 * the 20,000-row means within 0.01. Reading the whole file was what made the heatmap take ≈11 s
 * (7 s of it decompressing and encoding 100k rows twice); 2,000 rows take well under a second.
 */
export const INSPECTION_ROWS = 2000;
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
    // The attention view needs rows up to the one asked for; the gates view a sample.
    const rows = await inspectionRows(run, request.data, request.view === 'attention' ? (request.row ?? 0) + 1 : INSPECTION_ROWS);
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
  /** The inspection rows only, in file order. */
  encoded: EncodedSplit;
  /** Each encoded row's index in the file (0-based data rows). */
  fileIndices: number[];
}

async function inspectionRows(run: LoadedRun, data: string | undefined, limit: number): Promise<InspectionRows | HostError> {
  const summary = run.summary;
  const file = data ?? summary?.data.valid ?? summary?.data.train;
  if (!file) return hostError('E_INSPECT', `${run.dir} has no summary.json to say what it validated on; pass a data file`);
  const heldOut = data === undefined && summary !== undefined && summary.data.valid === undefined;
  let keep = (_index: number) => true;
  if (heldOut) {
    const share = summary.data.validationShare;
    const splitter = makeSplitter({ train: 1 - share, validation: share }, summary.options.seed);
    if (isDataError(splitter)) return hostError(splitter.code, splitter.message);
    keep = (index) => splitter.ofIndex(index) === 'validation';
  }
  const picked = await encodeRows(run, file, keep, limit);
  if ('error' in picked) return picked;
  if (heldOut && picked.encoded.rows === 0) return hostError('E_INSPECT', `the run held out no validation rows of ${file}; pass a data file`);
  return { file, split: data === undefined ? 'validation' : 'file', ...picked };
}

/**
 * The first `limit` rows of `file` that `keep` takes (by data-row index), encoded with the run's
 * fitted encoders, inputs only; reading stops at the last row needed. encodeFile would read and
 * encode the whole file (twice: it counts first); this encodes with the same row encoder
 * (tests/unit/host/inspect-rows.test.ts holds the two equal).
 */
export async function encodeRows(run: Pick<LoadedRun, 'binding' | 'encoders' | 'compiled'>, file: string, keep: (index: number) => boolean, limit: number): Promise<{ encoded: EncodedSplit; fileIndices: number[] } | HostError> {
  const table = await openTable(file, { header: run.binding.header, ...(run.binding.columns ? { columns: run.binding.columns } : {}) });
  if (isDataError(table)) return hostError(table.code, formatDataError(table), file);
  for (const spec of run.compiled.inputs) {
    const fitted = run.encoders.inputs[spec.name];
    if (!fitted) return hostError('E_DATA_BAD_ENCODER_JSON', `the saved encoders have nothing for model input "${spec.name}"; the graph changed since training`, file);
    const missing = fitted.columns.find((c) => !table.columns.includes(c));
    if (missing !== undefined) return hostError('E_DATA_MISSING_COLUMN', `model input "${spec.name}" needs column "${missing}", which ${file} does not have`, file);
  }
  const rowEncoder = makeRowEncoder(run.compiled, run.encoders);
  if (isDataError(rowEncoder)) return hostError(rowEncoder.code, rowEncoder.message, file);
  const rows: TableRow[] = [];
  const fileIndices: number[] = [];
  let index = 0;
  for await (const row of table.rows()) {
    if (isDataError(row)) return hostError(row.code, formatDataError(row), file);
    if (keep(index)) {
      rows.push(row);
      fileIndices.push(index);
    }
    index++;
    if (rows.length >= limit) break;
  }
  const encoded = rowEncoder.allocate(rows.length, false);
  for (const [at, row] of rows.entries()) {
    const error = rowEncoder.encode(row, file, encoded, at, false);
    if (error) return hostError(error.code, formatDataError(error), file);
  }
  return { encoded, fileIndices };
}

function gates(run: LoadedRun, rows: InspectionRows): GateInspection | HostError {
  const { structure, edgeTensors } = run.compiled.validation;
  const found = run.graph.nodes
    .filter((n) => n.kind === 'gate')
    .map((node) => ({ node, layer: run.compiled.nodeLayers.get(node.id)?.find((name) => name.endsWith('_weights')) }))
    .filter((g): g is { node: (typeof g)['node']; layer: string } => g.layer !== undefined);
  if (found.length === 0) return hostError('E_INSPECT', `${run.graph.name} has no gates to inspect (the gates view is for mixture-of-experts models)`);
  const used = rows.encoded.rows;
  const sums = probe(run, found.map((g) => g.layer), rows.encoded, range(0, used), (outputs) => outputs.map((t) => t.sum(0)));
  return {
    view: 'gates',
    data: rows.file,
    rows: used,
    split: rows.split,
    gates: found.map((g, i) => {
      const experts = (structure.incoming.get(g.node.id)?.get('experts') ?? []).flatMap((edge) => {
        const label = structure.nodes.get(edge.source.node)?.node.label ?? edge.source.node;
        const shape = edgeTensors.get(edge.id)?.shape ?? [];
        return shape.length === 2 ? Array.from({ length: shape[0] ?? 0 }, (_, k) => `${label} ${k + 1}`) : [label];
      });
      const weights = Array.from(sums[i] ?? [], (s) => s / used);
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
  const fileIndex = rows.fileIndices[row];
  if (fileIndex === undefined) return hostError('E_INSPECT', `row ${row} is past the last inspection row (${rows.fileIndices.length - 1})`);
  const scores = probe(run, found.map((a) => a.layer), rows.encoded, Int32Array.of(row), (outputs) => outputs);
  const attentions = [];
  for (const [i, a] of found.entries()) {
    const values = Array.from(scores[i] ?? []);
    attentions.push({ nodeId: a.node.id, label: a.node.label, layer: a.layer, scores: values, items: await historyItems(run, a.node.id, rows.file, fileIndex, values.length) });
  }
  return { view: 'attention', data: rows.file, rows: rows.fileIndices.length, split: rows.split, row, attentions };
}

/**
 * Runs the trained model up to the named layers on the given rows, batch by batch; `reduce` turns
 * each batch's outputs into the tensors kept (summed over batches).
 */
function probe(run: LoadedRun, layers: string[], split: EncodedSplit, indices: Int32Array, reduce: (outputs: tf.Tensor[]) => tf.Tensor[]): Float32Array[] {
  const model = tf.model({ inputs: run.model.inputs, outputs: layers.map((name) => run.model.getLayer(name).output as tf.SymbolicTensor) });
  let totals: Float32Array[] = [];
  for (let start = 0; start < indices.length; start += BATCH) {
    const values = tf.tidy(() => {
      const raw = model.predict(batchInputs(split, run.compiled.inputs, indices.subarray(start, start + BATCH)), { batchSize: BATCH });
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
  // The lists encoded together with this one decide which of its positions are kept.
  const names = run.encoders.sequences?.find((g) => spec !== undefined && g.includes(spec.name)) ?? (spec ? [spec.name] : []);
  const lists = names.map((name) => {
    const fitted = run.encoders.inputs[name];
    const encoder = fitted?.encoders[0] ? encoderFromJSON(fitted.encoders[0]) : undefined;
    return { name, column: fitted?.columns[0], encoder };
  });
  const empty = Array.from({ length }, () => null);
  const at = lists.findIndex((l) => l.name === spec?.name);
  if (at < 0 || lists.some((l) => !(l.encoder instanceof IdListEncoder) || l.column === undefined)) return empty;
  const group = new IdListGroup(lists.map((l) => l.encoder as IdListEncoder));
  const table = await openTable(file, { header: run.binding.header, ...(run.binding.columns ? { columns: run.binding.columns } : {}) });
  if (isDataError(table)) return empty;
  let index = 0;
  for await (const row of table.rows()) {
    if (isDataError(row)) return empty;
    if (index++ !== fileIndex) continue;
    const found = group.behaviours(lists.map((l) => row.values[l.column as string] ?? null));
    if ('list' in found) return empty;
    const known = found.kept.map((p) => found.tokens[at]?.[p] ?? null);
    const kept = known.slice(Math.max(0, known.length - length));
    return [...Array.from({ length: length - kept.length }, () => null), ...kept];
  }
  return empty;
}

import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelOutputSpec } from '../compile/to-tfjs';
import { formatDataError, isDataError } from '../data/errors';
import { encodeFile } from '../data/prepare';
import type { Graph } from '../graph/schema';
import { parseJsonOrUndefined, readTextFile, writeFileAtomic } from '../io/files';
import { auc, gauc, logloss, mse } from './metrics';
import { loadRun, type LoadedRun } from './run';
import { predictSplit } from './session';

/**
 * Evaluation of a trained run on a file it did not train on (issue #21 item 2): each labelled
 * output's AUC, log loss and GAUC (when the binding names a group column), and for an ESMM graph the
 * CVR AUC on clicked rows, as the ESMM paper reports it. The file is encoded with the run's own
 * fitted encoders (encodeFile, withLabels) and scored with predictSplit, so the numbers are those
 * the training loop would give on the same rows. The result is appended to the run's
 * evaluations.json: a run folder is an experiment, and its evaluations belong to it.
 *
 * Metrics a task cannot have are null (AUC on one class, GAUC without a group, logloss of a
 * regression task), never NaN: the result is JSON, and JSON has no NaN.
 */
export interface TaskEvaluation {
  auc: number | null;
  logloss: number | null;
  gauc: number | null;
  /** Regression outputs only. */
  mse?: number | null;
}

/** What `cvr_on_clicks` was measured from. */
export interface CvrOnClicks {
  /** Clicked rows (the CTR output's label is 1): the rows the AUC ranks. */
  rows: number;
  /** The output whose label is the click (pCTR). */
  ctr: string;
  /** The output whose label is click-and-convert (pCTCVR); on clicked rows, the conversion label. */
  ctcvr: string;
  /** Where pCVR came from: an output reading the CVR tower, or pCTCVR / pCTR. */
  scores: { output: string } | { ratio: true };
}

/** The key under `tasks` that holds ESMM's CVR-on-clicks figures. */
export const CVR_ON_CLICKS = 'cvr_on_clicks';

export interface EvaluationResult {
  tasks: Record<string, TaskEvaluation>;
  rows: number;
  cvrOnClicks?: CvrOnClicks;
}

/** One line of evaluations.json: the result and what it was measured on. */
export interface EvaluationRecord extends EvaluationResult {
  file: string;
  size: number;
  mtime: string;
  date: string;
}

export interface EvaluationsFile {
  format: 'towerflow.evaluations';
  version: 1;
  evaluations: EvaluationRecord[];
}

export const EVALUATIONS_FILE = 'evaluations.json';

/** An evaluation that could not be made: code, message and where (the run or the data file). */
export interface EvaluationError {
  code: 'E_NOT_A_RUN' | 'E_DATA' | 'E_NO_LABELS' | 'E_IO';
  message: string;
  where: string;
}

export const isEvaluationError = (value: unknown): value is EvaluationError =>
  typeof value === 'object' && value !== null && typeof (value as EvaluationError).code === 'string' && typeof (value as EvaluationError).message === 'string' && !('tasks' in value);

const orNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * The metrics, pure: `predictions[i]` belongs to `outputs[i]`; `labels` by output name (labelled
 * outputs only); `groups` when the binding has a group column.
 */
export function computeEvaluation(
  graph: Graph,
  outputs: readonly Pick<ModelOutputSpec, 'name' | 'nodeId' | 'label' | 'loss'>[],
  predictions: readonly Float32Array[],
  labels: Readonly<Record<string, Float32Array>>,
  rows: number,
  groups?: Int32Array,
): EvaluationResult {
  const tasks: Record<string, TaskEvaluation> = {};
  outputs.forEach((output, i) => {
    const y = labels[output.name];
    const p = predictions[i];
    if (output.label === undefined || !y || !p) return;
    if (output.loss === 'mse') tasks[output.name] = { auc: null, logloss: null, gauc: null, mse: orNull(mse(y, p)) };
    else tasks[output.name] = binaryTask(y, p, groups);
  });
  const plan = esmmPlan(graph, outputs);
  if (!plan) return { tasks, rows };
  const index = (name: string) => outputs.findIndex((o) => o.name === name);
  const click = labels[plan.ctr];
  const conversion = labels[plan.ctcvr];
  const pCtr = predictions[index(plan.ctr)];
  const pCtcvr = predictions[index(plan.ctcvr)];
  if (!click || !conversion || !pCtr || !pCtcvr) return { tasks, rows };
  const pCvr = 'output' in plan.scores ? predictions[index(plan.scores.output)] : undefined;
  const clicked: number[] = [];
  for (let r = 0; r < rows; r++) if ((click[r] as number) > 0.5) clicked.push(r);
  const y = Float32Array.from(clicked, (r) => conversion[r] as number);
  // pCVR = pCTCVR / pCTR when no output reads the CVR tower; a pCTR of 0 gives no score (NaN → AUC null).
  const p = Float32Array.from(clicked, (r) => (pCvr ? (pCvr[r] as number) : (pCtcvr[r] as number) / (pCtr[r] as number)));
  const g = groups ? Int32Array.from(clicked, (r) => groups[r] as number) : undefined;
  tasks[CVR_ON_CLICKS] = binaryTask(y, p, g);
  return { tasks, rows, cvrOnClicks: { rows: clicked.length, ctr: plan.ctr, ctcvr: plan.ctcvr, scores: plan.scores } };
}

function binaryTask(y: Float32Array, p: Float32Array, groups?: Int32Array): TaskEvaluation {
  return { auc: orNull(auc(y, p)), logloss: orNull(logloss(y, p)), gauc: groups ? orNull(gauc(y, p, groups)) : null };
}

/**
 * An ESMM graph, recognised by its structure rather than its name: a labelled output reading a
 * `multiply` node of two inputs (pCTCVR), one of which also feeds another labelled output (pCTR).
 * The multiply's other input is pCVR; an output reading it gives the CVR scores, else they are
 * pCTCVR / pCTR (the same number up to rounding).
 */
export function esmmPlan(graph: Pick<Graph, 'nodes' | 'edges'>, outputs: readonly Pick<ModelOutputSpec, 'name' | 'nodeId' | 'label' | 'loss'>[]): Omit<CvrOnClicks, 'rows'> | undefined {
  const sourceOf = (nodeId: string, port: string) => graph.edges.filter((e) => e.target.node === nodeId && e.target.port === port).map((e) => e.source);
  const same = (a: { node: string; port: string }, b: { node: string; port: string }) => a.node === b.node && a.port === b.port;
  const feeding = (nodeId: string) => sourceOf(nodeId, 'prediction')[0];
  const binary = outputs.filter((o) => o.label !== undefined && o.loss !== 'mse');
  for (const ctcvr of binary) {
    const product = feeding(ctcvr.nodeId);
    const node = product && graph.nodes.find((n) => n.id === product.node);
    if (!node || node.kind !== 'multiply') continue;
    const factors = sourceOf(node.id, 'inputs');
    if (factors.length !== 2) continue;
    for (const [k, ctrSource] of factors.entries()) {
      const ctr = binary.find((o) => o !== ctcvr && feeding(o.nodeId) !== undefined && same(feeding(o.nodeId) as { node: string; port: string }, ctrSource));
      if (!ctr) continue;
      const cvrSource = factors[1 - k] as { node: string; port: string };
      const cvr = outputs.find((o) => o !== ctr && o !== ctcvr && feeding(o.nodeId) !== undefined && same(feeding(o.nodeId) as { node: string; port: string }, cvrSource));
      return { ctr: ctr.name, ctcvr: ctcvr.name, scores: cvr ? { output: cvr.name } : { ratio: true } };
    }
  }
  return undefined;
}

/** Loads the run, encodes `file` with its encoders and labels, scores it; the model is disposed after. */
export async function evaluateRun(dir: string, file: string): Promise<EvaluationResult | EvaluationError> {
  const run = await loadRun(dir);
  if ('error' in run) return { code: 'E_NOT_A_RUN', message: run.error, where: dir };
  try {
    return await evaluateLoaded(run, file);
  } finally {
    run.model.dispose();
    run.compiled.model.dispose();
  }
}

export async function evaluateLoaded(run: LoadedRun, file: string): Promise<EvaluationResult | EvaluationError> {
  if (!run.compiled.outputs.some((o) => o.label !== undefined)) return { code: 'E_NO_LABELS', message: 'no output of the run has a label, so there is nothing to evaluate', where: run.dir };
  const encoded = await encodeFile(run.compiled, run.encoders, run.binding, file, true);
  if (isDataError(encoded)) return { code: 'E_DATA', message: formatDataError(encoded), where: file };
  const predictions = predictSplit(run.model, run.compiled.inputs, encoded);
  return computeEvaluation(run.graph, run.compiled.outputs, predictions, encoded.labels, encoded.rows, encoded.groups);
}

/** The record kept in the run: the file (absolute), its size and modification time, and now. */
export async function evaluationRecord(file: string, result: EvaluationResult, now = new Date()): Promise<EvaluationRecord | EvaluationError> {
  try {
    const info = await stat(file);
    return { file: resolve(file), size: info.size, mtime: info.mtime.toISOString(), date: now.toISOString(), ...result };
  } catch (error) {
    return { code: 'E_IO', message: `cannot read ${file}: ${(error as Error).message}`, where: file };
  }
}

/** evaluations.json's records, oldest first; a missing or unreadable file is an empty list. */
export async function readEvaluations(dir: string): Promise<EvaluationRecord[]> {
  const text = await readTextFile(join(dir, EVALUATIONS_FILE));
  if (typeof text !== 'string') return [];
  return parseEvaluations(text);
}

/** Pure: the records of an evaluations.json text, dropping what is not one. */
export function parseEvaluations(text: string): EvaluationRecord[] {
  const doc = parseJsonOrUndefined(text) as Partial<EvaluationsFile> | undefined;
  if (doc?.format !== 'towerflow.evaluations' || !Array.isArray(doc.evaluations)) return [];
  return doc.evaluations.filter((e): e is EvaluationRecord => typeof e === 'object' && e !== null && typeof e.file === 'string' && typeof e.tasks === 'object' && typeof e.rows === 'number');
}

/**
 * Appends a record to evaluations.json, written atomically (a crash leaves the old list whole).
 * Two evaluations of one run at the same moment may lose one record: they are rare and cheap to redo.
 */
export async function appendEvaluation(dir: string, record: EvaluationRecord): Promise<EvaluationsFile | EvaluationError> {
  const evaluations = [...(await readEvaluations(dir)), record];
  const doc: EvaluationsFile = { format: 'towerflow.evaluations', version: 1, evaluations };
  try {
    await writeFileAtomic(join(dir, EVALUATIONS_FILE), `${JSON.stringify(doc, null, 2)}\n`);
  } catch (error) {
    return { code: 'E_IO', message: `cannot write ${join(dir, EVALUATIONS_FILE)}: ${(error as Error).message}`, where: dir };
  }
  return doc;
}

/** Evaluate and keep: what the CLI and the host channel both do. */
export async function evaluateAndRecord(dir: string, file: string): Promise<EvaluationRecord | EvaluationError> {
  const result = await evaluateRun(dir, file);
  if (isEvaluationError(result)) return result;
  const record = await evaluationRecord(file, result);
  if (isEvaluationError(record)) return record;
  const kept = await appendEvaluation(dir, record);
  return isEvaluationError(kept) ? kept : record;
}

/** `--json`'s shape: exactly { tasks, rows }. */
export const evaluationJson = (result: EvaluationResult): { tasks: Record<string, TaskEvaluation>; rows: number } => ({ tasks: result.tasks, rows: result.rows });

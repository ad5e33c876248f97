import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compileGraph, type CompiledGraph } from '../../../app/compile/to-tfjs';
import { parseBinding, type DatasetBinding } from '../../../app/data/binding';
import { formatDataError, isDataError } from '../../../app/data/errors';
import { prepareData, type PreparedData } from '../../../app/data/prepare';
import { readEventLog, sequenceRows, writeSequenceRows } from '../../../app/data/sequences';
import { chooseBackend, type NodeBackendName } from '../../../app/engine/backend';
import { GraphBuilder } from '../../../app/graph/builder';
import { loadGraph } from '../../../app/graph/load';
import type { Graph } from '../../../app/graph/schema';
import { trainModel, type TrainEvent } from '../../../app/train/session';

export const ROOT = process.cwd();
export const SHARED_DATA = path.resolve(ROOT, '../shared/data');
export const CENSUS_GZ = path.join(SHARED_DATA, 'census-income-kdd/census-income.test.gz');
export const MOVIELENS_GZ = path.join(SHARED_DATA, 'movielens-100k/u.data.gz');
export const ALI_CCP = path.join(SHARED_DATA, 'ali-ccp-sample');

/**
 * A small two-task model on made-up columns: sparse `color`, `shape`; dense `x`, `y`; a shared
 * bottom MLP; towers `ta`, `tb`; outputs `a` (label `la`) and `b` (label `lb`).
 */
export function twoTaskGraph(options: { loss?: 'binary_crossentropy' | 'mse'; head?: 'sigmoid' | 'linear'; name?: string } = {}): Graph {
  const loss = options.loss ?? 'binary_crossentropy';
  const head = options.head ?? 'sigmoid';
  const b = new GraphBuilder(options.name ?? 'Two tasks');
  b.node('cat', 'input.sparse', 'cat', { columns: ['color', 'shape'], vocabSize: 16 });
  b.node('num', 'input.dense', 'num', { columns: ['x', 'y'] });
  b.node('emb', 'embedding', 'emb', { dim: 3 });
  b.node('features', 'concat', 'features');
  b.node('bottom', 'mlp', 'bottom', { units: [8] });
  b.node('ta', 'tower', 'ta', { units: [4], head });
  b.node('tb', 'tower', 'tb', { units: [4], head });
  b.node('oa', 'output', 'oa', { name: 'a', label: 'la', loss });
  b.node('ob', 'output', 'ob', { name: 'b', label: 'lb', loss });
  b.connect('cat', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'features', 'inputs').connect('num', 'values', 'features', 'inputs');
  b.connect('features', 'out', 'bottom', 'in').connect('bottom', 'out', 'ta', 'in').connect('bottom', 'out', 'tb', 'in');
  b.connect('ta', 'out', 'oa', 'prediction').connect('tb', 'out', 'ob', 'prediction');
  return b.build();
}

export const COLORS = ['red', 'green', 'blue'] as const;

/** Deterministic rows for twoTaskGraph: la = [x > 0], lb = [color is red] (both learnable). */
export function twoTaskCsv(rows: number, seed = 1, extra?: (i: number) => Partial<Record<'color' | 'shape' | 'x' | 'y' | 'la' | 'lb', string>>): string {
  const random = rng(seed);
  const lines = ['color,shape,x,y,la,lb'];
  for (let i = 0; i < rows; i++) {
    const color = COLORS[Math.floor(random() * 3)] as string;
    const shape = random() < 0.3 ? 'square' : 'circle';
    const x = random() * 4 - 2;
    const y = random();
    const row = { color, shape, x: x.toFixed(4), y: y.toFixed(4), la: x > 0 ? '1' : '0', lb: color === 'red' ? '1' : '0', ...extra?.(i) };
    lines.push([row.color, row.shape, row.x, row.y, row.la, row.lb].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** mulberry32, for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function compile(graph: Graph, seed = 7): CompiledGraph {
  const result = compileGraph(graph, { seed });
  if (!result.ok) throw new Error(`test bug: compile failed: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.compiled;
}

export function template(name: string): Graph {
  const loaded = loadGraph(readFileSync(path.join(ROOT, 'templates', `${name}.json`), 'utf8'));
  if (!loaded.graph) throw new Error(`test bug: template ${name} does not load`);
  return loaded.graph;
}

export function binding(json: unknown = {}): DatasetBinding {
  const parsed = parseBinding(json);
  if (isDataError(parsed)) throw new Error(`test bug: ${formatDataError(parsed)}`);
  return parsed;
}

export function exampleBinding(name: string): DatasetBinding {
  return binding(JSON.parse(readFileSync(path.join(ROOT, 'examples', `${name}.binding.json`), 'utf8')));
}

export async function prepare(
  compiled: CompiledGraph,
  bound: DatasetBinding,
  files: { train: string; valid?: string },
  split = { validation: 0.25, seed: 1 },
): Promise<PreparedData> {
  const prepared = await prepareData(compiled, bound, files, split);
  if (isDataError(prepared)) throw new Error(`test bug: ${formatDataError(prepared)}`);
  return prepared;
}

export interface TempDir {
  dir: string;
  write(name: string, text: string | Buffer): string;
  path(name: string): string;
  cleanup(): void;
}

export function tempDir(prefix = 'towerflow-train-'): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    path: (name) => path.join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The first `rows` lines of the (header-less) census-income test file, as plain text. */
export function censusHead(rows: number): string {
  const text = gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8');
  let end = 0;
  for (let i = 0; i < rows; i++) {
    end = text.indexOf('\n', end) + 1;
    if (end === 0) throw new Error('test bug: the census file has fewer rows');
  }
  return text.slice(0, end);
}

/** MovieLens-100k behaviour sequences (label = rating ≥ 4, history ≤ 20), the first `rows` rows, into `file`. */
export async function movielensSequences(file: string, rows: number): Promise<void> {
  const events = await readEventLog(MOVIELENS_GZ, { user: 'user', item: 'item', timestamp: 'timestamp', label: { column: 'rating', atLeast: 4 }, columns: ['user', 'item', 'rating', 'timestamp'], header: false });
  if (isDataError(events)) throw new Error(`test bug: ${formatDataError(events)}`);
  const log = events;
  function* head() {
    let n = 0;
    for (const row of sequenceRows(log, { maxLength: 20 })) {
      if (n++ >= rows) return;
      yield row;
    }
  }
  const error = await writeSequenceRows(head(), file);
  if (error) throw new Error(`test bug: ${formatDataError(error)}`);
}

export async function useBackend(name: NodeBackendName): Promise<void> {
  const choice = await chooseBackend(name);
  if ('error' in choice) throw new Error(`test bug: ${choice.error}`);
}

/** All weights of the named layers, as plain arrays. */
export function layerWeights(model: tf.LayersModel, layers: readonly string[]): number[][] {
  return layers.flatMap((name) => model.getLayer(name).getWeights().map((w) => Array.from(w.dataSync())));
}

export function allWeights(model: tf.LayersModel): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

/** Collects events by type. */
export function recorder(): { events: TrainEvent[]; onEvent: (e: TrainEvent) => void; of<T extends TrainEvent['type']>(type: T): Extract<TrainEvent, { type: T }>[] } {
  const events: TrainEvent[] = [];
  return {
    events,
    onEvent: (e) => void events.push(e),
    of: <T extends TrainEvent['type']>(type: T) => events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type),
  };
}

/** The weights of the MMoE template (seed 7) after 2 Adam epochs on a census file: a whole training run to compare bit for bit. */
export async function trainedCensusMmoe(file: string): Promise<Float32Array[]> {
  const compiled = compile(template('mmoe'), 7);
  const prepared = await prepare(compiled, exampleBinding('census-income'), { train: file });
  await trainModel(compiled.model, compiled, prepared, { optimizer: 'adam', learningRate: 0.01, batchSize: 32, epochs: 2, seed: 3, progressIntervalMs: 60_000 });
  const weights = allWeights(compiled.model);
  compiled.model.dispose();
  return weights;
}

/** Typed arrays as base64 of their bytes: bit-for-bit comparisons with readable failures. */
export const bytesOf = (arrays: readonly (Float32Array | Int32Array | Uint8Array)[]) => arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64'));

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../../app/graph/builder';
import type { Graph } from '../../../app/graph/schema';
import { generateModelModule, STANDALONE_TSC_FLAGS } from '../../../app/codegen/module';

const ROOT = process.cwd();
export const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The generated module of a graph, or a thrown error with the diagnostics (the tests feed valid graphs). */
export async function generate(graph: Graph): Promise<string> {
  const result = await generateModelModule(graph, { towerflowVersion: VERSION });
  if (!result.ok) throw new Error(`codegen refused the graph: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  return result.code;
}

/**
 * A scratch folder inside the repository (tests/.tmp-codegen/<prefix>-…), so the generated files
 * resolve @tensorflow/tfjs from the project's node_modules. Remove it with the returned function.
 */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const parent = path.join(ROOT, 'tests', '.tmp-codegen');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, `${prefix}-`));
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      // The parent goes too once no other test file is using it.
      try {
        rmdirSync(parent);
      } catch {
        // another test file's folder is still in it
      }
    },
  };
}

export function writeModules(dir: string, modules: Record<string, string>): string[] {
  return Object.entries(modules).map(([name, code]) => {
    const file = path.join(dir, `${name}.ts`);
    writeFileSync(file, code);
    return file;
  });
}

/**
 * The standalone compile the generated module's header and the README give, over all the files in
 * one run: `tsc --noEmit --strict --exactOptionalPropertyTypes --skipLibCheck --module nodenext
 * --target es2022`. `--ignoreConfig` (TypeScript 6): the repository's tsconfig.json must not apply;
 * the generated files are checked as a user's project would check them.
 */
export async function typeCheck(files: string[]): Promise<{ ok: boolean; output: string }> {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--ignoreConfig', ...STANDALONE_TSC_FLAGS, ...files];
  try {
    await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: '' };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

/** What a generated module exports, as the tests use it. */
export interface GeneratedModule {
  buildModel(seed?: number): tf.LayersModel;
  compileForTraining(model: tf.LayersModel, options?: { optimizer?: tf.Optimizer; lossWeights?: Record<string, number> }): void;
  INPUTS: readonly { name: string; dtype: string; shape: readonly number[]; columns: readonly string[] }[];
  OUTPUTS: readonly { name: string; label: string | null; loss: string | null; lossWeight: number }[];
}

let imports = 0;

/**
 * Imports a generated module. `fresh`: evaluate it again (a new module instance), so it registers its
 * layer classes again; a plain import of an already imported module has no side effects.
 */
export async function importModule(file: string, fresh = false): Promise<GeneratedModule> {
  return (await import(/* @vite-ignore */ fresh ? `${file}?instance=${++imports}` : file)) as GeneratedModule;
}

/** User-typed text of the all-kinds graph: every place a graph carries a string into generated code. */
export interface GraphTexts {
  name: string;
  description: string;
  /** One per node, in ALL_KINDS_NODES order. */
  labels: string[];
  /** One per node: node ids. */
  ids: string[];
  /** Output prediction names (3). */
  outputNames: string[];
  /** Input columns (6): sparse ×2, dense ×2, candidate item, history. */
  columns: string[];
  /** Label columns of the two labelled outputs. */
  labelColumns: string[];
  /** The embedding table the candidate and the history share. */
  table: string;
}

export const ALL_KINDS_NODES = [
  'sparse', 'dense', 'item', 'history', 'sparse_emb', 'item_emb', 'history_emb', 'attention', 'pooling', 'features',
  'bottom', 'experts', 'expert', 'gate', 'tower_a', 'tower_b', 'product', 'out_a', 'out_b', 'out_ab',
] as const;

export const BENIGN_TEXTS: GraphTexts = {
  name: 'All kinds',
  description: 'Every node kind once, with batch norm, dropout, L2, a shared table and an unlabelled output.',
  labels: ALL_KINDS_NODES.map((n) => n.replace(/_/g, ' ')),
  ids: [...ALL_KINDS_NODES],
  outputNames: ['a', 'b', 'ab'],
  columns: ['user', 'segment', 'age', 'income', 'item_id', 'history'],
  labelColumns: ['clicked', 'bought'],
  table: 'item',
};

/**
 * A graph with every node kind and every emitter path (batch norm, activation, dropout, L2, stacked
 * experts (fused one-layer and stacked two-layer), a gate with bias, a tower without hidden layers, a shared embedding table,
 * attention, pooling, an output without label, an mse output with weight 0.5).
 */
export function allKindsGraph(t: GraphTexts = BENIGN_TEXTS): Graph {
  const id = (node: (typeof ALL_KINDS_NODES)[number]) => t.ids[ALL_KINDS_NODES.indexOf(node)] as string;
  const label = (node: (typeof ALL_KINDS_NODES)[number]) => t.labels[ALL_KINDS_NODES.indexOf(node)] as string;
  const b = new GraphBuilder(t.name, t.description);
  const node = (n: (typeof ALL_KINDS_NODES)[number], kind: string, params: Record<string, unknown> = {}) => b.node(id(n), kind, label(n), params);
  const [c0, c1, c2, c3, c4, c5] = t.columns as [string, string, string, string, string, string];
  node('sparse', 'input.sparse', { columns: [c0, c1], vocabSize: 30 });
  node('dense', 'input.dense', { columns: [c2, c3] });
  node('item', 'input.sparse', { columns: [c4], vocabSize: 40 });
  node('history', 'input.sequence', { column: c5, maxLength: 5, vocabSize: 40 });
  node('sparse_emb', 'embedding', { dim: 3, l2: 0.001 });
  node('item_emb', 'embedding', { dim: 4, table: t.table });
  node('history_emb', 'embedding', { dim: 4, table: t.table });
  node('attention', 'attention', { hidden: [6], activation: 'relu', softmax: true });
  node('pooling', 'pooling', { mode: 'sum' });
  node('features', 'concat');
  node('bottom', 'mlp', { units: [8, 6], activation: 'tanh', batchNorm: true, dropout: 0.1, l2: 0.01 });
  node('experts', 'expert', { count: 2, units: [4] });
  node('expert', 'expert', { count: 2, units: [5, 4], activation: 'linear', batchNorm: true });
  node('gate', 'gate', { useBias: true });
  node('tower_a', 'tower', { units: [4], head: 'sigmoid', dropout: 0.2 });
  node('tower_b', 'tower', { units: [], head: 'sigmoid' });
  node('product', 'multiply');
  const [n0, n1, n2] = t.outputNames as [string, string, string];
  const [l0, l1] = t.labelColumns as [string, string];
  node('out_a', 'output', { name: n0, label: l0 });
  node('out_b', 'output', { name: n1, label: '' });
  node('out_ab', 'output', { name: n2, label: l1, loss: 'mse', lossWeight: 0.5 });
  const wire = (s: (typeof ALL_KINDS_NODES)[number], sp: string, d: (typeof ALL_KINDS_NODES)[number], dp: string) => b.connect(id(s), sp, id(d), dp);
  wire('sparse', 'ids', 'sparse_emb', 'ids');
  wire('item', 'ids', 'item_emb', 'ids');
  wire('history', 'ids', 'history_emb', 'ids');
  wire('item_emb', 'vectors', 'attention', 'query');
  wire('history_emb', 'vectors', 'attention', 'keys');
  wire('history_emb', 'vectors', 'pooling', 'in');
  for (const [n, p] of [['sparse_emb', 'vectors'], ['dense', 'values'], ['item_emb', 'vectors'], ['attention', 'out'], ['pooling', 'out']] as const) {
    wire(n, p, 'features', 'inputs');
  }
  wire('features', 'out', 'bottom', 'in');
  wire('bottom', 'out', 'experts', 'in');
  wire('bottom', 'out', 'expert', 'in');
  wire('bottom', 'out', 'gate', 'selector');
  wire('experts', 'out', 'gate', 'experts');
  wire('expert', 'out', 'gate', 'experts');
  wire('gate', 'out', 'tower_a', 'in');
  wire('bottom', 'out', 'tower_b', 'in');
  wire('tower_a', 'out', 'product', 'inputs');
  wire('tower_b', 'out', 'product', 'inputs');
  wire('tower_a', 'out', 'out_a', 'prediction');
  wire('tower_b', 'out', 'out_b', 'prediction');
  wire('product', 'out', 'out_ab', 'prediction');
  return b.build();
}

/** A graph without any label: one that validates (with a warning), exports, and trains nothing. */
export function unlabelledGraph(): Graph {
  const b = new GraphBuilder('Unlabelled', 'A tower and an output without a label.');
  b.node('x', 'input.dense', 'Inputs', { columns: ['x0', 'x1', 'x2'] });
  b.node('tower', 'tower', 'Tower', { units: [2], head: 'linear' });
  b.node('out', 'output', 'Score', { name: 'score', label: '' });
  b.connect('x', 'values', 'tower', 'in');
  b.connect('tower', 'out', 'out', 'prediction');
  return b.build();
}

/** The smallest graph: a dense input straight into an output, with no layer that has weights or seeds. */
export function passThroughGraph(): Graph {
  const b = new GraphBuilder('Pass through');
  b.node('x', 'input.dense', 'Value', { columns: ['v'] });
  b.node('out', 'output', 'Same value', { name: 'same', label: 'target', loss: 'mse' });
  b.connect('x', 'values', 'out', 'prediction');
  return b.build();
}

/**
 * DIN with categories (Zhou et al. 2018): each behaviour is the item embedding joined to its
 * category's, for the candidate (a vector concat, the attention's query) and at every history
 * position (a sequence concat, the keys: two sequences with masks of their own, so their product).
 * A second branch joins two lookups of the same history (one mask, passed on) and mean-pools them.
 */
export function dinCategoriesGraph(): Graph {
  const b = new GraphBuilder('DIN with categories', 'Candidate and history behaviours as item ⊕ category embeddings.');
  b.node('user', 'input.sparse', 'User', { columns: ['user_id'], vocabSize: 30 });
  b.node('item', 'input.sparse', 'Candidate item', { columns: ['item_id'], vocabSize: 40 });
  b.node('genre', 'input.sparse', 'Candidate genre', { columns: ['genre'], vocabSize: 12 });
  b.node('hist', 'input.sequence', 'Watched items', { column: 'hist_item_id', maxLength: 5, vocabSize: 40 });
  b.node('hist_genre', 'input.sequence', 'Watched genres', { column: 'hist_genre', maxLength: 5, vocabSize: 12 });
  b.node('user_emb', 'embedding', 'User embedding', { dim: 3 });
  b.node('item_emb', 'embedding', 'Item embedding', { dim: 4, table: 'item' });
  b.node('genre_emb', 'embedding', 'Genre embedding', { dim: 2, table: 'genre' });
  b.node('hist_emb', 'embedding', 'History embedding', { dim: 4, table: 'item' });
  b.node('hist_genre_emb', 'embedding', 'History genre embedding', { dim: 2, table: 'genre' });
  b.node('hist_bias', 'embedding', 'History item bias', { dim: 1, table: 'item_bias' });
  b.node('candidate', 'concat', 'Candidate');
  b.node('behaviours', 'concat', 'Behaviours');
  b.node('history_items', 'concat', 'History items');
  b.node('attention', 'attention', 'Interest', { hidden: [6, 3] });
  b.node('pooling', 'pooling', 'Mean history', { mode: 'mean' });
  b.node('features', 'concat', 'Features');
  b.node('tower', 'tower', 'Tower', { units: [8] });
  b.node('out', 'output', 'Click', { name: 'ctr', label: 'click' });
  b.connect('user', 'ids', 'user_emb', 'ids');
  b.connect('item', 'ids', 'item_emb', 'ids');
  b.connect('genre', 'ids', 'genre_emb', 'ids');
  b.connect('hist', 'ids', 'hist_emb', 'ids');
  b.connect('hist_genre', 'ids', 'hist_genre_emb', 'ids');
  b.connect('hist', 'ids', 'hist_bias', 'ids');
  b.connect('item_emb', 'vectors', 'candidate', 'inputs');
  b.connect('genre_emb', 'vectors', 'candidate', 'inputs');
  b.connect('hist_emb', 'vectors', 'behaviours', 'inputs');
  b.connect('hist_genre_emb', 'vectors', 'behaviours', 'inputs');
  b.connect('hist_emb', 'vectors', 'history_items', 'inputs');
  b.connect('hist_bias', 'vectors', 'history_items', 'inputs');
  b.connect('candidate', 'out', 'attention', 'query');
  b.connect('behaviours', 'out', 'attention', 'keys');
  b.connect('history_items', 'out', 'pooling', 'in');
  for (const [n, p] of [['user_emb', 'vectors'], ['candidate', 'out'], ['attention', 'out'], ['pooling', 'out']] as const) b.connect(n, p, 'features', 'inputs');
  b.connect('features', 'out', 'tower', 'in');
  b.connect('tower', 'out', 'out', 'prediction');
  return b.build();
}

/** A model's saved artifacts, in memory: what a save/load round trip between two builders carries. */
export async function saveToMemory(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('nothing saved');
  return saved;
}

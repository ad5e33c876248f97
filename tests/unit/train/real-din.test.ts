import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRun, predictFile, runTraining, type RunSummary } from '../../../app/train/run';
import { auc } from '../../../app/train/metrics';
import type { EpochMetrics } from '../../../app/train/session';
import { exampleBinding, movielensSequences, tempDir, template, useBackend } from './helpers';

/**
 * DIN learns on real behaviour sequences: MovieLens-100k turned into DIN rows by the sequences
 * code (label = rating ≥ 4, the user's 20 previous movies), a slice of the first 10,000 rows
 * (the first ~100 users, all of their rows), trained briefly on wasm. The data is read in place
 * and transformed into a temp folder, never copied into the repository.
 */
const ROWS = 10_000;
const tmp = tempDir('towerflow-din-');
const file = tmp.path('movielens-din.csv');
const epochs: { train: EpochMetrics; valid?: EpochMetrics; tensors: number }[] = [];
let summary: RunSummary;

beforeAll(async () => {
  await useBackend('wasm');
  await movielensSequences(file, ROWS);
  const outcome = await runTraining(
    {
      graph: template('din'),
      data: file,
      binding: exampleBinding('movielens-din'),
      options: { optimizer: 'adam', learningRate: 0.005, batchSize: 256, epochs: 2, seed: 42 },
      validationShare: 0.25,
      runsDir: tmp.path('runs'),
      backend: 'wasm',
    },
    { onEvent: (e) => void (e.type === 'epoch' && epochs.push({ train: e.train, ...(e.valid ? { valid: e.valid } : {}), tensors: tf.memory().numTensors })) },
  );
  if (!outcome.ok) throw new Error(outcome.message);
  summary = outcome.summary;
}, 120_000);
afterAll(async () => {
  tmp.cleanup();
  await useBackend('cpu');
});

describe('DIN on MovieLens-100k sequences (wasm)', () => {
  it('the slice has the rows asked for, split 75/25 by the seed', () => {
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(ROWS + 1);
    expect(summary.trainRows + summary.validRows).toBe(ROWS);
    expect(Math.abs(summary.validRows - ROWS / 4)).toBeLessThan(200);
    expect(summary.backend).toBe('wasm');
  });

  it('learns: validation AUC > 0.6 after 2 epochs, GAUC (grouped by user) present, training loss falls', () => {
    expect(summary.epochsRun).toBe(2);
    const like = summary.best?.tasks.like;
    expect(like?.auc).toBeGreaterThan(0.6);
    expect(like?.gauc).toBeGreaterThan(0.55);
    expect(like?.gauc).toBeLessThan(1);
    const [first, last] = [epochs[0]?.train.tasks.like?.loss ?? 0, epochs.at(-1)?.train.tasks.like?.loss ?? Infinity];
    expect(last).toBeLessThan(first);
    expect(summary.samplesPerSecond).toBeGreaterThan(0);
  });

  it('the saved run predicts the validation metrics again (shared item table, masks and attention survive saving)', async () => {
    const loaded = await loadRun(summary.dir);
    if ('error' in loaded) throw new Error(loaded.error);
    const predicted = await predictFile(loaded, file);
    if ('error' in predicted) throw new Error(predicted.error);
    expect(predicted.columns).toEqual(['like']);
    const scores = predicted.values[0] ?? new Float32Array();
    expect(scores).toHaveLength(ROWS);
    const labels = readFileSync(file, 'utf8').trimEnd().split('\n').slice(1).map((l) => Number(l.split(',')[3]));
    // On all rows (train and validation) the model ranks better than chance.
    expect(auc(labels, scores)).toBeGreaterThan(0.6);
    loaded.model.dispose();
    loaded.compiled.model.dispose();
  });

  it('no tensor leak across epochs on wasm', () => {
    expect(epochs).toHaveLength(2);
    expect(epochs[1]?.tensors).toBe(epochs[0]?.tensors);
    expect(path.basename(summary.dir)).toMatch(/-din$/);
  });
});

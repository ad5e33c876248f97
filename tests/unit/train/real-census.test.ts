import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTraining, type RunSummary } from '../../../app/train/run';
import type { EpochMetrics } from '../../../app/train/session';
import { censusHead, exampleBinding, tempDir, template, useBackend } from './helpers';

/**
 * The census templates learn on real data: the first 8,000 rows of the UCI census-income test file
 * (header-less, named by examples/census-income.binding.json), a seeded 25% held out, three epochs
 * on wasm. Income > 50K and never-married are the two tasks of the MMoE paper.
 */
const tmp = tempDir('towerflow-census-');
const file = tmp.write('census-8000.csv', censusHead(8000));

beforeAll(async () => useBackend('wasm'));
afterAll(async () => {
  tmp.cleanup();
  await useBackend('cpu');
});

describe.each([
  { name: 'mmoe', folder: 'mmoe' },
  { name: 'shared-bottom', folder: 'shared_bottom' },
  { name: 'ple', folder: 'ple' },
])('$name on a census-income slice (wasm)', ({ name, folder }) => {
  let summary: RunSummary;
  const epochs: { train: EpochMetrics; valid?: EpochMetrics; tensors: number }[] = [];

  beforeAll(async () => {
    const outcome = await runTraining(
      {
        graph: template(name),
        data: file,
        binding: exampleBinding('census-income'),
        options: { optimizer: 'adam', learningRate: 0.01, batchSize: 256, epochs: 3, seed: 42 },
        validationShare: 0.25,
        runsDir: tmp.path('runs'),
        backend: 'wasm',
      },
      { onEvent: (e) => void (e.type === 'epoch' && epochs.push({ train: e.train, ...(e.valid ? { valid: e.valid } : {}), tensors: tf.memory().numTensors })) },
    );
    if (!outcome.ok) throw new Error(outcome.message);
    summary = outcome.summary;
  }, 120_000);

  it('learns both tasks: validation AUC income > 0.75, never married > 0.85; training loss falls', () => {
    expect(summary.backend).toBe('wasm');
    expect(summary.epochsRun).toBe(3);
    expect(summary.trainRows + summary.validRows).toBe(8000);
    expect(Math.abs(summary.validRows - 2000)).toBeLessThan(150);
    expect(summary.best?.tasks.income?.auc).toBeGreaterThan(0.75);
    expect(summary.best?.tasks.marital?.auc).toBeGreaterThan(0.85);
    for (const task of ['income', 'marital']) {
      expect(epochs.at(-1)?.train.tasks[task]?.loss).toBeLessThan(epochs[0]?.train.tasks[task]?.loss ?? 0);
    }
    expect(summary.samplesPerSecond).toBeGreaterThan(0);
  });

  it('keeps the run: folder named after the graph, metrics.csv with 3 epochs × 2 splits × 2 tasks, no tensor leak', () => {
    expect(path.basename(summary.dir)).toMatch(new RegExp(`^\\d{8}-\\d{6}-${folder}(-\\d+)?$`));
    expect(readFileSync(path.join(summary.dir, 'metrics.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1 + 12);
    expect(epochs.slice(1).map((e) => e.tensors)).toEqual([epochs[1]?.tensors, epochs[1]?.tensors]);
  });
});

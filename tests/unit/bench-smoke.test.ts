import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseBackend } from '../../app/engine/backend';
import { batchInputs, range } from '../../app/train/encoded';
import { CONTENDERS, DEFAULT_CONFIG, buildContender, runBench } from '../../bench/bench';
import { censusColumns, splitFor } from '../../bench/census-data';
import { compareDigests, QUICK_DATA_CONFIG, runDataBench } from '../../bench/data-bench';
import { CENSUS_FILE } from '../../bench/torch-peer';
import { handWrittenMmoe, MMOE, type BenchModel } from '../../bench/models';
import { trainOnce } from '../../bench/training';

/**
 * The bench's models and harness at tiny scale, on cpu: the hand-written models must be the same
 * architecture as the compiled template (or the speed comparison means nothing), and everything
 * must train. Speed itself is never asserted.
 */
describe('bench smoke', () => {
  const data = censusColumns(512, 3);

  beforeAll(async () => {
    const choice = await chooseBackend('cpu');
    if ('error' in choice) throw new Error(choice.error);
  });

  it('every hand-written layout has exactly the compiled MMoE parameter count (28050)', () => {
    for (const id of CONTENDERS) {
      const { model } = buildContender(id, 1);
      expect([id, model.countParams()]).toEqual([id, 28050]);
      model.dispose();
    }
  });

  it('the stacked layouts compute what separate experts compute, given the same weights', () => {
    const separate = handWrittenMmoe(1, 'separate');
    const batch = batchInputs(splitFor(data, separate), separate.inputs, range(0, 64));
    const expected = predictions(separate, batch);
    for (const layout of ['stacked-matmul', 'stacked-bmm'] as const) {
      const stacked = handWrittenMmoe(2, layout);
      copyWeights(separate.model, stacked.model, layout);
      const got = predictions(stacked, batch);
      got.forEach((values, t) => values.forEach((v, i) => expect(Math.abs(v - (expected[t]?.[i] ?? Number.NaN))).toBeLessThan(1e-5)));
      stacked.model.dispose();
    }
    tf.dispose(batch);
    separate.model.dispose();
  });

  it('every contender trains one epoch of 512 rows through trainModel', async () => {
    for (const id of CONTENDERS) {
      const entry = buildContender(id, 1);
      const run = await trainOnce(entry, splitFor(data, entry), 1);
      expect(Number.isFinite(run.finalLoss)).toBe(true);
      entry.model.dispose();
    }
  });

  it('runs the whole bench at tiny scale: cpu, a skipped backend, CSV ingestion', async () => {
    const plan = { rows: 256, epochs: 1, repetitions: 1, warmupRows: 256 };
    const results = await runBench(
      { ...DEFAULT_CONFIG, backends: ['node', 'cpu'], dataRows: 512, plans: { ...DEFAULT_CONFIG.plans, cpu: plan }, csvRows: 300, csvReader: 'in-process' },
      () => undefined,
    );
    const [node, cpu] = results.training.backends;
    expect(node?.status).toBe('skipped');
    expect(cpu?.status === 'ok' && cpu.ratios['compiled/hand-written'].ofMedians > 0).toBe(true);
    expect([results.csv?.plain.rows, results.csv?.gzip.rows]).toEqual([300, 300]);
  });
});

describe.runIf(existsSync(CENSUS_FILE))('data bench smoke', () => {
  it('runs the data bench at tiny scale in-process: every baseline and both variants read every row, a second run agrees', async () => {
    const result = await runDataBench({ ...QUICK_DATA_CONFIG, rows: 1500, pandas: false, profile: false, runner: 'in-process' }, () => undefined);
    expect(result.baselines.filter((b) => b.mode !== 'bytes').map((b) => b.rows)).toEqual([1500, 1500, 1500, 1500]);
    expect(result.baselines.filter((b) => b.mode === 'bytes').map((b) => b.bytes)).toEqual([result.file.bytes, result.file.bytes]);
    const [plain, gzip] = result.rounds;
    expect([plain?.towerflow.rows, gzip?.towerflow.rows, plain?.second?.rows]).toEqual([1500, 1500, 1500]);
    const digest = plain?.towerflow.digest;
    if (!digest || !gzip?.towerflow.digest || !plain.second?.digest) throw new Error('no digest');
    expect(digest.train + digest.valid).toBe(1500);
    expect(Object.keys(digest.categorical)).toHaveLength(32);
    expect(compareDigests(digest, gzip.towerflow.digest)).toEqual([]);
    expect(compareDigests(digest, plain.second.digest)).toEqual([]);
  }, 60_000);
});

function predictions(entry: BenchModel, batch: tf.Tensor[]): number[][] {
  return tf.tidy(() => {
    const raw = entry.model.predict(batch);
    return (Array.isArray(raw) ? raw : [raw]).map((t) => Array.from(t.dataSync()));
  });
}

/** Same-named layers get the same weights; the experts are packed into the stacked kernel. */
function copyWeights(from: tf.LayersModel, to: tf.LayersModel, layout: 'stacked-matmul' | 'stacked-bmm'): void {
  for (const layer of to.layers) {
    const source = from.layers.find((l) => l.name === layer.name);
    if (!source || layer.countParams() === 0 || source.countParams() !== layer.countParams()) continue;
    layer.setWeights(source.getWeights());
  }
  const experts = Array.from({ length: MMOE.experts }, (_, i) => from.getLayer(`expert_${i}`).getWeights());
  const kernels = experts.map((w) => w[0] as tf.Tensor2D);
  const biases = experts.map((w) => w[1] as tf.Tensor1D);
  const packed = tf.tidy(() =>
    layout === 'stacked-matmul'
      ? [tf.concat(kernels, 1), tf.concat(biases, 0)]
      : [tf.stack(kernels), tf.expandDims(tf.stack(biases), 1)],
  );
  to.getLayer(layout === 'stacked-matmul' ? 'experts_stacked' : 'experts').setWeights(packed);
  tf.dispose(packed);
}

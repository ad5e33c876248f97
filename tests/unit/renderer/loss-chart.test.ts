import { describe, expect, it } from 'vitest';
import type { TrainEventBody } from '../../../app/host/contract';
import { intervalLosses, lossChart, reduceRun, startRunView, type RunView } from '../../../renderer/state/run-view';

/**
 * Progress events as app/train/session.ts sends them: per batch a loss, per event the mean of the
 * epoch so far (rows-weighted), one event every `every` steps and at each epoch's last step.
 */
function stream(batchLoss: (globalStep: number) => number, o: { rows: number; batchSize: number; epochs: number; every: number }): RunView {
  const steps = Math.ceil(o.rows / o.batchSize);
  let view = reduceRun(startRunView('r', o.batchSize), { type: 'started', dir: '/w/r', backend: 'cpu', trainRows: o.rows, validRows: 0, parameters: 1 });
  let global = 0;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    let sum = 0;
    let seen = 0;
    for (let step = 0; step < steps; step++) {
      const n = Math.min(o.batchSize, o.rows - step * o.batchSize);
      sum += batchLoss(global++) * n;
      seen += n;
      if ((step + 1) % o.every === 0 || step === steps - 1) {
        const mean = sum / seen;
        const event: TrainEventBody = { type: 'progress', epoch, epochs: o.epochs, step: step + 1, steps, samplesPerSecond: 1, etaSeconds: 1, loss: mean, taskLoss: { income: mean } };
        view = reduceRun(view, event);
      }
    }
  }
  return view;
}

const values = (view: RunView) => (lossChart(view).series[0]?.values ?? []).map((v) => v ?? NaN);
const boundaryIndex = (view: RunView) => lossChart(view).x.findIndex((x) => x > 1);

describe('the training-loss chart', () => {
  it('has no jump at an epoch boundary for a constant-loss stream', () => {
    const view = stream(() => 0.42, { rows: 1000, batchSize: 64, epochs: 3, every: 3 });
    const plotted = values(view);
    expect(plotted.length).toBeGreaterThan(10);
    for (const v of plotted) expect(v).toBeCloseTo(0.42, 9);
  });

  it('has no cliff at an epoch boundary when the loss falls steadily (the running mean of an epoch made one)', () => {
    // 16 steps an epoch, the last one short; the loss falls by 0.01 a step.
    const view = stream((g) => 1 - 0.01 * g, { rows: 1000, batchSize: 64, epochs: 3, every: 2 });
    const plotted = values(view);
    const at = boundaryIndex(view);
    const steps = plotted.slice(1).map((v, i) => Math.abs(v - (plotted[i] as number)));
    const typical = steps.slice(0, at - 1).reduce((a, b) => Math.max(a, b), 0);
    // Running means plotted as they came: the first point of epoch 2 was ~0.08 below the last of epoch 1.
    const jump = Math.abs((plotted[at] as number) - (plotted[at - 1] as number));
    expect(jump).toBeLessThanOrEqual(typical * 1.05);
    // And the curve keeps falling through the boundary.
    for (let i = 1; i < plotted.length; i++) expect(plotted[i]).toBeLessThan(plotted[i - 1] as number);
  });

  it('recovers the loss of the rows between two events exactly, the short last step included', () => {
    // Every 16th batch (an epoch's short last one, 40 rows) has loss 5, the others 1.
    const view = stream((g) => (g % 16 === 15 ? 5 : 1), { rows: 1000, batchSize: 64, epochs: 2, every: 1 });
    const raw = intervalLosses(view).chart.series[0]?.values ?? [];
    expect(raw).toHaveLength(32);
    raw.forEach((v, i) => expect(v).toBeCloseTo(i % 16 === 15 ? 5 : 1, 9));
  });
});

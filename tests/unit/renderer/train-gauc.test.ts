import { describe, expect, it } from 'vitest';
import type { TrainEventBody } from '../../../app/host/contract';
import { epochMetricChart, gaucTasks, reduceRun, startRunView } from '../../../renderer/state/run-view';

/** An epoch event; `gauc` per task where the binding has a group (session.ts evaluate). */
const epoch = (n: number, valid: Record<string, { loss: number; auc: number; gauc?: number }>): TrainEventBody => ({
  type: 'epoch',
  epoch: n,
  train: { loss: 1, tasks: Object.fromEntries(Object.keys(valid).map((t) => [t, { loss: 0.5 }])) },
  valid: { loss: 1, tasks: valid },
  improved: true,
  seconds: 1,
  samplesPerSecond: 100,
});

describe('GAUC in the Train tab', () => {
  it('is charted and tabled per task when the epochs carry it (the binding has a group)', () => {
    const view = [
      epoch(1, { income: { loss: 0.4, auc: 0.8, gauc: 0.71 }, marital: { loss: 0.5, auc: 0.9, gauc: 0.66 } }),
      epoch(2, { income: { loss: 0.3, auc: 0.85, gauc: 0.74 }, marital: { loss: 0.45, auc: 0.92, gauc: 0.69 } }),
    ].reduce(reduceRun, startRunView('r'));
    expect(gaucTasks(view)).toEqual(['income', 'marital']);
    const chart = epochMetricChart(view, 'gauc');
    expect(chart.x).toEqual([1, 2]);
    expect(chart.series).toEqual([
      { label: 'income', values: [0.71, 0.74] },
      { label: 'marital', values: [0.66, 0.69] },
    ]);
  });

  it('is left out without a group: no GAUC column, an empty chart (not drawn)', () => {
    const view = [epoch(1, { income: { loss: 0.4, auc: 0.8 } })].reduce(reduceRun, startRunView('r'));
    expect(gaucTasks(view)).toEqual([]);
    expect(epochMetricChart(view, 'gauc').series).toEqual([]);
  });
});

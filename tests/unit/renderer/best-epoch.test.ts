import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../app/train/run-folder';
import { bestEpochLegend, bestMetricOf, startRunView, type RunView } from '../../../renderer/state/run-view';
import { stoppingMetrics } from '../../../renderer/state/train-outputs';
import { metricNames } from '../../../app/train/session';

const withEpochs = (view: RunView, valid: boolean): RunView => ({
  ...view,
  epochs: [{ epoch: 1, train: { ctr: { loss: 0.5 } }, ...(valid ? { valid: { ctr: { loss: 0.6, auc: 0.7 } } } : {}), improved: true }],
  tasks: ['ctr'],
});

describe('which metric picks the best epoch, and the ★ legend', () => {
  it('offers the metric names the CLI accepts for --early-stopping, the loss first (the default)', () => {
    const outputs = [
      { nodeId: 'a', name: 'ctr', label: 'click', loss: 'binary_crossentropy' as const, lossWeight: 1 },
      { nodeId: 'b', name: 'price', label: 'p', loss: 'mse' as const, lossWeight: 1 },
    ];
    const core = metricNames([
      { name: 'ctr', label: 'click', loss: 'binary_crossentropy', lossWeight: 1 },
      { name: 'price', label: 'p', loss: 'mse', lossWeight: 1 },
    ] as unknown as Parameters<typeof metricNames>[0]);
    expect(stoppingMetrics(outputs)).toEqual(core);
    expect(stoppingMetrics(outputs)[0]).toBe('loss');
  });

  it('names the loss by default, on the validation rows where there are some, else the training rows', () => {
    expect(bestMetricOf(startRunView('r'))).toBe('loss');
    expect(bestEpochLegend(withEpochs(startRunView('r'), true))).toBe('★ best so far by validation loss (all tasks, weighted); the highlighted row is the best epoch, whose weights the run keeps.');
    expect(bestEpochLegend(withEpochs(startRunView('r'), false))).toMatch(/^★ best so far by training loss/);
  });

  it('names the metric the run was started with, and an opened run’s recorded one before it', () => {
    const live = withEpochs(startRunView('r', 256, undefined, 'ctr.gauc'), true);
    expect(bestEpochLegend(live)).toMatch(/^★ best so far by validation ctr\.gauc;/);
    const opened = { ...live, summary: { options: { earlyStopping: { metric: 'mean.auc', patience: 3 } } } as unknown as RunSummary };
    expect(bestMetricOf(opened)).toBe('mean.auc');
  });
});

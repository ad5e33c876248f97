import { describe, expect, it } from 'vitest';
import type { RunDetails, TrainEventBody } from '../../../app/host/contract';
import { epochMetricChart, formatDuration, insightsOf, lossChart, reduceRun, runTitle, runViewFromDetails, startRunView } from '../../../renderer/state/run-view';
import { outputsOf, stoppingMetrics } from '../../../renderer/state/train-outputs';
import { loadGraph } from '../../../app/graph/load';
import { validateGraph } from '../../../app/validate/validate';
import { readFileSync } from 'node:fs';

const metrics = (loss: number, auc: number) => ({ loss: loss * 2, tasks: { income: { loss, auc }, marital: { loss: loss + 0.1, auc: auc - 0.1 } } });

describe('a run as the dashboard shows it', () => {
  it('builds charts and the epoch table from the host’s events', () => {
    const events: TrainEventBody[] = [
      { type: 'stage', message: 'backend wasm (passed over — node: not installed)' },
      { type: 'started', dir: '/w/runs/1', backend: 'wasm', trainRows: 1600, validRows: 400, parameters: 28050 },
      { type: 'progress', epoch: 1, epochs: 2, step: 5, steps: 10, samplesPerSecond: 900, etaSeconds: 3, loss: 1.2, taskLoss: { income: 0.5, marital: 0.7 } },
      { type: 'progress', epoch: 1, epochs: 2, step: 10, steps: 10, samplesPerSecond: 950, etaSeconds: 2, loss: 1.0, taskLoss: { income: 0.4, marital: 0.6 } },
      { type: 'epoch', epoch: 1, train: metrics(0.4, 0.8), valid: metrics(0.45, 0.78), improved: true, seconds: 1.5, samplesPerSecond: 950 },
      { type: 'progress', epoch: 2, epochs: 2, step: 10, steps: 10, samplesPerSecond: 1000, etaSeconds: 0, loss: 0.8, taskLoss: { income: 0.3, marital: 0.5 } },
      { type: 'epoch', epoch: 2, train: metrics(0.3, 0.85), valid: metrics(0.35, 0.82), improved: true, seconds: 1.4, samplesPerSecond: 1000 },
    ];
    const view = events.reduce(reduceRun, startRunView('r1'));
    expect(view).toMatchObject({ status: 'running', backend: 'wasm', trainRows: 1600, tasks: ['income', 'marital'] });
    expect(view.stages[0]).toMatch(/passed over/);
    // Epoch 1's second half alone: (0.4·10 − 0.5·5) / 5 = 0.3 (the smoothing has long caught up half an epoch later).
    const loss = lossChart(view);
    expect(loss.x).toEqual([0.5, 1, 2]);
    expect(loss.series.map((s) => s.label)).toEqual(['income', 'marital']);
    [0.5, 0.3, 0.3].forEach((v, i) => expect(loss.series[0]?.values[i]).toBeCloseTo(v, 4));
    [0.7, 0.5, 0.5].forEach((v, i) => expect(loss.series[1]?.values[i]).toBeCloseTo(v, 4));
    const auc = epochMetricChart(view, 'auc');
    expect(auc.x).toEqual([1, 2]);
    expect(auc.series[0]).toEqual({ label: 'income', values: [0.78, 0.82] });
    const done = reduceRun(view, { type: 'failed', message: 'the loss became NaN' });
    expect(done).toMatchObject({ status: 'failed', message: 'the loss became NaN' });
  });

  it('rebuilds the charts from a run folder', () => {
    const details: RunDetails = {
      dir: '/w/runs/1',
      name: '1',
      status: 'finished',
      metrics: [],
      history: [
        { epoch: 1, train: { income: { loss: 0.4 } }, valid: { income: { loss: 0.5, auc: 0.7 } } },
        { epoch: 2, train: { income: { loss: 0.3 } }, valid: { income: { loss: 0.45, auc: 0.75 } } },
      ],
      log: 'line 1\nline 2\n',
      hasModel: true,
    };
    const view = runViewFromDetails(details);
    expect(view.status).toBe('finished');
    expect(lossChart(view).x).toEqual([1, 2]);
    expect(epochMetricChart(view).series).toEqual([{ label: 'income', values: [0.7, 0.75] }]);
    expect(view.logs).toEqual(['line 1', 'line 2']);
  });

  it('a reopened run keeps its epoch times, its ★ and its own graph, which names it and decides "Inside the model" (#21.12)', () => {
    const template = (name: string) => {
      const loaded = loadGraph(readFileSync(new URL(`../../../templates/${name}.json`, import.meta.url), 'utf8'));
      if (!loaded.graph) throw new Error(name);
      return loaded.graph;
    };
    const mmoe = template('mmoe');
    const details: RunDetails = {
      dir: '/w/runs/2026-mmoe',
      name: '2026-mmoe',
      status: 'finished',
      graph: mmoe,
      metrics: [],
      history: [
        { epoch: 1, train: { income: { loss: 0.4 } }, seconds: 2.5, improved: true },
        { epoch: 2, train: { income: { loss: 0.5 } }, seconds: 2.25, improved: false },
      ],
      log: '',
      hasModel: true,
    };
    const view = runViewFromDetails(details);
    expect(view.epochs.map((e) => [e.seconds, e.improved])).toEqual([[2.5, true], [2.25, false]]);
    expect(runTitle(view, true)).toBe('Run 2026-mmoe');
    expect(insightsOf(view)).toEqual({ gates: true, attention: false });
    expect(insightsOf(runViewFromDetails({ ...details, graph: template('din') }))).toEqual({ gates: false, attention: true });
    // A live run is titled by the graph it trains, not by whatever graph is open later.
    expect(runTitle(startRunView('r1', 256, mmoe), false)).toBe(`Training ${mmoe.name}`);
  });

  it('names outputs as the compiler does, for loss weights and early stopping', () => {
    const loaded = loadGraph(readFileSync(new URL('../../../templates/esmm.json', import.meta.url), 'utf8'));
    if (!loaded.graph) throw new Error('esmm');
    const outputs = outputsOf(loaded.graph, validateGraph(loaded.graph));
    expect(outputs.filter((o) => o.label).map((o) => o.name).sort()).toEqual(['ctcvr', 'ctr']);
    expect(stoppingMetrics(outputs)).toContain('ctr.auc');
    expect(formatDuration(75)).toBe('1 min 15 s');
  });
});

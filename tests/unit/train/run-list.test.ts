import { describe, expect, it } from 'vitest';
import type { Graph } from '../../../app/graph/schema';
import { METRIC_COLUMNS, type RunSummary } from '../../../app/train/run-folder';
import { compareRuns, editMeta, findRun, graphDiff, graphHash, METRICS_HEADER, parseMeta, parseMetricRows, runRows, type ParsedRun } from '../../../app/train/run-list';
import { binding, twoTaskGraph } from './helpers';

/** The runs list and the comparison, over run folders made up here (no disk). */
function summary(overrides: Partial<RunSummary> & { lr?: number } = {}): RunSummary {
  const { lr, ...rest } = overrides;
  return {
    format: 'towerflow.run', version: 1, graph: 'Two tasks', dir: '/r', backend: 'cpu', backendNote: 'backend cpu',
    stopReason: 'completed', message: 'trained 2 epochs', bestEpoch: 1, epochsRun: 2, samplesPerSecond: 1000, trainRows: 80, validRows: 20, parameters: 123,
    options: { optimizer: 'adam', learningRate: lr ?? 0.001, batchSize: 64, epochs: 2, seed: 42 },
    data: { train: '/data/train.csv', validationShare: 0.2 },
    startedAt: '2026-12-06T10:00:00.000Z', finishedAt: '2026-12-06T10:01:30.000Z',
    ...rest,
  };
}

const METRICS = `${METRICS_HEADER}
1,train,a,0.6,0.7,0.6,,
1,valid,a,0.5,0.81,0.5,,
1,valid,b,0.4,0.9,0.4,,
2,valid,a,0.45,0.79,0.45,,
2,valid,b,0.35,0.95,0.35,,
`;

function run(id: string, extra: Partial<ParsedRun> = {}): ParsedRun {
  return { id, dir: `/runs/${id}`, graph: twoTaskGraph(), summary: summary(), metrics: parseMetricRows(METRICS), meta: { tags: [] }, ...extra };
}

describe('runs list rows', () => {
  it('metrics.csv header is run-folder.ts METRIC_COLUMNS', () => expect(METRICS_HEADER).toBe(METRIC_COLUMNS.join(',')));

  it('a finished run: figures at its kept (best) epoch, time from start to finish, name and tags from meta', () => {
    const [row] = runRows([run('20261206-100000-Two_tasks', { meta: { name: 'baseline', tags: ['census'], note: 'first try' }, evaluations: 2 })]);
    expect(row).toEqual({
      id: '20261206-100000-Two_tasks', dir: '/runs/20261206-100000-Two_tasks', name: 'baseline', graph: 'Two tasks', data: '/data/train.csv', backend: 'cpu',
      epochs: 2, seconds: 90, status: 'finished', startedAt: '2026-12-06T10:00:00.000Z', bestEpoch: 1,
      best: { a: { auc: 0.81, logloss: 0.5 }, b: { auc: 0.9, logloss: 0.4 } }, tags: ['census'], note: 'first try', evaluations: 2,
    });
  });

  it('without summary.json: the epoch with the best mean validation AUC (2: mean .87 over .855), status from the log', () => {
    const [row] = runRows([run('x', { summary: undefined, lastLogLine: '2026-12-06T10:00:05Z failed: out of memory', createdAt: '2026-12-06T09:00:00.000Z' })]);
    expect(row?.bestEpoch).toBe(2);
    expect(row?.best).toEqual({ a: { auc: 0.79, logloss: 0.45 }, b: { auc: 0.95, logloss: 0.35 } });
    expect(row?.status).toBe('failed');
    expect(row?.seconds).toBeUndefined();
    expect(runRows([run('y', { summary: undefined, lastLogLine: '… epoch 2: train loss 0.3' })])[0]?.status).toBe('incomplete');
    expect(runRows([run('z', { summary: summary({ stopReason: 'diverged' }) })])[0]?.status).toBe('failed');
  });

  it('newest first', () => {
    const rows = runRows([run('old', { summary: summary({ startedAt: '2026-01-01T00:00:00.000Z' }) }), run('new', { summary: summary({ startedAt: '2026-06-01T00:00:00.000Z' }) })]);
    expect(rows.map((r) => r.id)).toEqual(['new', 'old']);
  });

  it('finds a run by folder name, given name or a unique prefix', () => {
    const runs = [run('20261206-100000-a', { meta: { name: 'base', tags: [] } }), run('20261206-110000-b', { meta: { tags: [] } })];
    expect(findRun(runs, 'base')).toBe(runs[0]);
    expect(findRun(runs, '20261206-11')).toBe(runs[1]);
    expect(findRun(runs, '20261206')).toEqual({ error: '"20261206" names 2 runs (20261206-100000-a, 20261206-110000-b); give more of the name' });
    expect(findRun(runs, 'nope')).toEqual({ error: 'no run is named "nope"' });
  });
});

describe('meta.json edits', () => {
  it('rename, tag (added once, removed), note; "" removes a name or note', () => {
    let meta = parseMeta(undefined);
    expect(meta).toEqual({ tags: [] });
    meta = editMeta(meta, { rename: 'baseline' }) as typeof meta;
    meta = editMeta(meta, { tag: ['census', 'lr', 'census'] }) as typeof meta;
    meta = editMeta(meta, { tag: ['lr'], remove: true }) as typeof meta;
    meta = editMeta(meta, { note: 'lower lr next' }) as typeof meta;
    expect(meta).toEqual({ name: 'baseline', tags: ['census'], note: 'lower lr next' });
    expect(editMeta(meta, { rename: '' })).toEqual({ tags: ['census'], note: 'lower lr next' });
    expect(editMeta(meta, { tag: ['two words'] })).toEqual({ code: 'E_BAD_META', message: 'a tag is a word of 1 to 64 characters without spaces or commas, got "two words"' });
    expect(parseMeta({ name: 3, tags: ['a', 4], note: 'n' })).toEqual({ tags: ['a'], note: 'n' });
  });
});

describe('comparison', () => {
  it('settings side by side, the ones that differ marked; best figure per metric; pairs say what differs', () => {
    const wider = twoTaskGraph();
    const ta = wider.nodes.find((n) => n.id === 'ta');
    if (ta) ta.params = { ...ta.params, units: [16] };
    const a = run('a');
    const b = run('b', { summary: summary({ lr: 0.01 }), graph: wider, metrics: parseMetricRows(METRICS.replace('1,valid,a,0.5,0.81,0.5', '1,valid,a,0.3,0.85,0.3')) });
    const c = compareRuns([a, b]);
    expect(c.runs).toEqual(['a', 'b']);
    expect(c.names).toEqual(['a', 'b']);
    const differing = c.settings.filter((s) => s.differs).map((s) => s.key);
    expect(differing).toEqual(['structure', 'learningRate']);
    expect(c.settings.find((s) => s.key === 'learningRate')?.values).toEqual(['0.001', '0.01']);
    const aucA = c.metrics.find((m) => m.key === 'a.auc');
    expect(aucA).toEqual({ key: 'a.auc', task: 'a', metric: 'auc', split: 'valid', values: [0.81, 0.85], best: 0.85 });
    expect(c.metrics.find((m) => m.key === 'a.logloss')?.best).toBe(0.3);
    expect(c.pairs).toEqual([{ a: 'a', b: 'b', settings: ['structure', 'learningRate'], graph: ['node ta: units [4] → [16]'] }]);
  });

  it('the newest evaluation on a test file: its own rows (null for a run not evaluated), never a difference of settings', () => {
    const tasks = { a: { auc: 0.7, logloss: 0.6, gauc: null }, b: { auc: null, logloss: 0.5, gauc: null } };
    const evaluated = run('e', { evaluations: 2, lastEvaluation: { file: '/data/test.csv', date: '2026-12-06T11:00:00.000Z', rows: 50, tasks } });
    const c = compareRuns([evaluated, run('f')]);
    expect(c.metrics.filter((m) => m.split === 'test')).toEqual([
      { key: 'test:a.auc', task: 'a', metric: 'auc', split: 'test', values: [0.7, null], best: 0.7 },
      { key: 'test:a.logloss', task: 'a', metric: 'logloss', split: 'test', values: [0.6, null], best: 0.6 },
      { key: 'test:b.logloss', task: 'b', metric: 'logloss', split: 'test', values: [0.5, null], best: 0.5 },
    ]);
    expect(c.settings.find((s) => s.key === 'testFile')).toEqual({ key: 'testFile', label: 'test file (newest evaluation)', values: ['/data/test.csv', ''], differs: true });
    expect(c.pairs[0]?.settings).toEqual([]);
    expect(runRows([evaluated])[0]).toMatchObject({ evaluations: 2, lastEvaluation: { file: '/data/test.csv', rows: 50 } });
  });

  it('binding differences: labels, group column and input columns are rows, and a pair names them', () => {
    const base = binding({ labels: { a: { column: 'la' } } });
    const other = binding({ labels: { a: { column: 'click', equals: 'yes' }, b: { all: [{ column: 'lb' }, { column: 'conv', atLeast: 1 }] } }, group: 'user', features: { color: { column: 'colour', encoding: 'hash' }, x: { log: true } }, header: false, columns: ['colour', 'x'] });
    const c = compareRuns([run('a', { binding: base }), run('b', { binding: other })]);
    const row = (key: string) => c.settings.find((s) => s.key === key);
    expect(row('labels')).toEqual({ key: 'labels', label: 'labels (binding)', values: ['a ← la', 'a ← click = yes; b ← all of (lb, conv ≥ 1)'], differs: true });
    expect(row('group')).toEqual({ key: 'group', label: 'group column (binding)', values: ['none', 'user'], differs: true });
    expect(row('inputs')).toEqual({ key: 'inputs', label: 'input columns (binding)', values: ['by name', 'color ← colour (hash), x (log); file columns colour,x'], differs: true });
    expect(c.pairs[0]?.settings).toEqual(['labels', 'group', 'inputs']);
    // The same binding: no difference.
    expect(compareRuns([run('a', { binding: base }), run('c', { binding: base })]).pairs[0]?.settings).toEqual([]);
  });

  it('schedule, clipping, warm start and the best-epoch metric are rows; runs made before them read as constant, off, fresh', () => {
    const older = run('old');
    const tuned = run('new', {
      summary: summary({ options: { optimizer: 'adam', learningRate: 0.001, batchSize: 64, epochs: 2, seed: 42, bestMetric: 'a.auc', lrSchedule: { type: 'cosine', warmupSteps: 10, minLearningRate: 0 }, clipNorm: 1, initFrom: '/runs/old' } }),
    });
    const c = compareRuns([older, tuned]);
    const values = (key: string) => c.settings.find((s) => s.key === key)?.values;
    expect(values('lrSchedule')).toEqual(['constant', 'cosine, warm-up 10 steps, down to 0']);
    expect(values('clipNorm')).toEqual(['off', '1']);
    expect(values('initFrom')).toEqual(['fresh weights', 'old']);
    expect(values('bestMetric')).toEqual(['loss', 'a.auc']);
    expect(c.pairs[0]?.settings).toEqual(['bestMetric', 'lrSchedule', 'clipNorm', 'initFrom']);
  });

  it('the structure hash ignores positions and labels, not params or edges', () => {
    const g = twoTaskGraph();
    const moved: Graph = { ...g, nodes: g.nodes.map((n) => ({ ...n, label: `${n.label}!`, position: { x: n.position.x + 5, y: 0 } })) };
    expect(graphHash(moved)).toBe(graphHash(g));
    const cut: Graph = { ...g, edges: g.edges.slice(1) };
    expect(graphHash(cut)).not.toBe(graphHash(g));
    expect(graphDiff(g, cut)).toEqual([`edge ${g.edges[0]?.source.node}.${g.edges[0]?.source.port} → ${g.edges[0]?.target.node}.${g.edges[0]?.target.port} removed`]);
  });
});

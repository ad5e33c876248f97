import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { auc, gauc, logloss } from '../../app/train/metrics';
import { ALI_CCP, twoTaskCsv, twoTaskGraph } from './train/helpers';
import { runCli as run } from '../helpers/cli';

/** `towerflow evaluate`, `predict --keep` and `towerflow runs …` on small runs trained here. */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-evaluate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const GRAPH = writeTemp('two-tasks.json', JSON.stringify(twoTaskGraph({ name: 'Two tasks' })));
const TRAIN = writeTemp('train.csv', twoTaskCsv(600, 1));
const TEST = writeTemp('test.csv', twoTaskCsv(120, 3));
const GROUPED = writeTemp('grouped.binding.json', JSON.stringify({ group: 'shape' }));
const RUNS = path.join(tmp, 'runs');
const savedDir = (out: string[]) => (out.at(-1) ?? '').replace(/^saved /, '');

/** The test file's label and shape columns, as a person would read them. */
const testRows = readFileSync(TEST, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const column = (i: number) => testRows.map((r) => r[i] as string);

let plain = '';
let grouped = '';
beforeAll(async () => {
  const a = await run(['train', GRAPH, '--data', TRAIN, '--epochs', '1', '--batch-size', '64', '--lr', '0.02', '--backend', 'cpu', '--runs', RUNS]);
  expect(a.code).toBe(EXIT.ok);
  plain = savedDir(a.out);
  const b = await run(['train', GRAPH, '--data', TRAIN, '--binding', GROUPED, '--epochs', '2', '--batch-size', '64', '--lr', '0.01', '--backend', 'cpu', '--runs', RUNS]);
  expect(b.code).toBe(EXIT.ok);
  grouped = savedDir(b.out);
}, 120_000);

/** The run's predictions on TEST through `predict`, as numbers per output. */
async function predictions(dir: string): Promise<{ a: number[]; b: number[] }> {
  const { code, out } = await run(['predict', dir, '--data', TEST, '--backend', 'cpu']);
  expect(code).toBe(EXIT.ok);
  const lines = (out[0] ?? '').split('\n').slice(1).map((l) => l.split(',').map(Number));
  return { a: lines.map((l) => l[0] as number), b: lines.map((l) => l[1] as number) };
}

describe('towerflow evaluate', () => {
  it('--json prints exactly {tasks: {<output>: {auc, logloss, gauc}}, rows}: the metrics of the predictions against the labels', async () => {
    const { code, out, err } = await run(['evaluate', plain, '--data', TEST, '--json', '--backend', 'cpu']);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(out).toHaveLength(1);
    const result = JSON.parse(out[0] as string) as { tasks: Record<string, Record<string, number | null>>; rows: number };
    expect(Object.keys(result)).toEqual(['tasks', 'rows']);
    expect(result.rows).toBe(120);
    expect(Object.keys(result.tasks)).toEqual(['a', 'b']);
    const p = await predictions(plain);
    const la = column(4).map(Number);
    const lb = column(5).map(Number);
    for (const [task, labels, scores] of [['a', la, p.a], ['b', lb, p.b]] as const) {
      expect(Object.keys(result.tasks[task] ?? {})).toEqual(['auc', 'logloss', 'gauc']);
      expect(result.tasks[task]?.auc).toBeCloseTo(auc(labels, scores), 4);
      // predict prints 7 significant digits, so the log loss agrees to about 1e-6.
      expect(result.tasks[task]?.logloss).toBeCloseTo(logloss(labels, scores), 4);
      expect(result.tasks[task]?.gauc).toBeNull();
    }
  });

  it('GAUC where the binding has a group (shape), and each evaluation kept in evaluations.json with file, size, mtime, date', async () => {
    const first = await run(['evaluate', grouped, '--data', TEST, '--json', '--backend', 'cpu']);
    expect(first.code).toBe(EXIT.ok);
    const result = JSON.parse(first.out[0] as string) as { tasks: Record<string, { gauc: number | null }> };
    const p = await predictions(grouped);
    expect(result.tasks.a?.gauc).toBeCloseTo(gauc(column(4).map(Number), p.a, column(1)), 4);

    const second = await run(['evaluate', grouped, '--data', TEST, '--backend', 'cpu']);
    expect(second.code).toBe(EXIT.ok);
    const table = (second.out[0] ?? '').split('\n');
    expect(table[0]).toBe(`120 rows of ${TEST}`);
    expect(table[1]?.trim().split(/\s+/)).toEqual(['task', 'AUC', 'GAUC', 'logloss']);
    expect(table[2]?.trim().split(/\s+/)[0]).toBe('a');
    expect(table.at(-1)).toBe(`kept in ${path.join(grouped, 'evaluations.json')}`);

    const kept = JSON.parse(readFileSync(path.join(grouped, 'evaluations.json'), 'utf8')) as { format: string; evaluations: { file: string; size: number; mtime: string; date: string; rows: number; tasks: unknown }[] };
    expect(kept.format).toBe('towerflow.evaluations');
    expect(kept.evaluations).toHaveLength(2);
    const info = statSync(TEST);
    expect(kept.evaluations[0]).toMatchObject({ file: TEST, size: info.size, mtime: info.mtime.toISOString(), rows: 120, tasks: result.tasks });
    expect(Date.parse(kept.evaluations[1]?.date ?? '')).toBeGreaterThanOrEqual(Date.parse(kept.evaluations[0]?.date ?? ''));
  });

  it('bad input: a file without a label column → exit 1 naming the column; not a run → exit 1; usage errors → 2', async () => {
    const noLabels = writeTemp('no-labels.csv', 'color,shape,x,y\nred,circle,0.5,0.5\n');
    const missing = await run(['evaluate', plain, '--data', noLabels, '--backend', 'cpu']);
    expect(missing.code).toBe(EXIT.badInput);
    expect(missing.err.join('\n')).toMatch(/column "la"/);
    const notRun = await run(['evaluate', tmp, '--data', TEST, '--backend', 'cpu']);
    expect(notRun.code).toBe(EXIT.badInput);
    expect(notRun.err.join('\n')).toMatch(/not a Towerflow run folder/);
    expect((await run(['evaluate', plain])).code).toBe(EXIT.usage);
  });
});

describe('towerflow predict --keep', () => {
  it('carries the chosen input columns into each row, before the predictions', async () => {
    const { code, out } = await run(['predict', plain, '--data', TEST, '--keep', 'color,shape', '--backend', 'cpu']);
    expect(code).toBe(EXIT.ok);
    const lines = (out[0] ?? '').split('\n');
    expect(lines[0]).toBe('color,shape,a,b');
    expect(lines).toHaveLength(121);
    const p = await predictions(plain);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      expect(cells.slice(0, 2)).toEqual([testRows[i]?.[0], testRows[i]?.[1]]);
      expect(Number(cells[2])).toBe(p.a[i]);
    });
  });

  it('a column the file does not have → exit 1 naming it', async () => {
    const { code, err } = await run(['predict', plain, '--data', TEST, '--keep', 'user', '--backend', 'cpu']);
    expect(code).toBe(EXIT.badInput);
    expect(err[0]).toMatch(/--keep names column "user", which the file does not have/);
  });
});

describe('towerflow runs', () => {
  const id = (dir: string) => path.basename(dir);

  it('--json lists the runs newest first with their key figures', async () => {
    const { code, out } = await run(['runs', '--json', '--runs', RUNS]);
    expect(code).toBe(EXIT.ok);
    const { runs } = JSON.parse(out[0] as string) as { runs: { id: string; graph: string; data: string; backend: string; epochs: number; status: string; seconds: number; best: Record<string, { auc: number | null; logloss: number | null }>; tags: string[] }[] };
    expect(runs.map((r) => r.id)).toEqual([id(grouped), id(plain)]);
    const [second, first] = runs;
    expect(first).toMatchObject({ graph: 'Two tasks', data: TRAIN, backend: 'cpu', epochs: 1, status: 'finished', tags: [] });
    expect(second?.epochs).toBe(2);
    const summary = JSON.parse(readFileSync(path.join(plain, 'summary.json'), 'utf8')) as { best: { tasks: Record<string, { auc: number; logloss: number }> } };
    expect(first?.best.a?.auc).toBeCloseTo(summary.best.tasks.a?.auc ?? Number.NaN, 6);
    expect(first?.best.b?.logloss).toBeCloseTo(summary.best.tasks.b?.logloss ?? Number.NaN, 6);
  });

  it('rename, tag and note go to meta.json; the list shows them; a run is found by its new name', async () => {
    expect((await run(['runs', 'rename', id(plain), 'baseline', '--runs', RUNS])).out).toEqual([`${id(plain)}: name "baseline"; tags (none); note (none)`]);
    expect((await run(['runs', 'tag', 'baseline', 'census', 'lr-0.02', '--runs', RUNS])).code).toBe(EXIT.ok);
    expect((await run(['runs', 'note', plain, 'first try', '--runs', RUNS])).code).toBe(EXIT.ok);
    const meta = JSON.parse(readFileSync(path.join(plain, 'meta.json'), 'utf8')) as unknown;
    expect(meta).toEqual({ format: 'towerflow.run-meta', version: 1, name: 'baseline', tags: ['census', 'lr-0.02'], note: 'first try' });
    const { out } = await run(['runs', '--runs', RUNS]);
    const lines = (out[0] ?? '').split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual(['run', 'name', 'graph', 'data', 'backend', 'epochs', 'time', 'status', 'best valid AUC/logloss', 'tags']);
    const row = lines.find((l) => l.startsWith(`${id(plain)} `));
    expect(row).toMatch(/ baseline +Two tasks +train\.csv +cpu +1 +\d+s +finished +a \d\.\d{4}\/\d\.\d{4}  b \d\.\d{4}\/\d\.\d{4} +census,lr-0\.02$/);
    expect(lines.at(-1)).toBe(`note ${id(plain)}: first try`);
  });

  it('compare: the settings that differ are marked', async () => {
    const { code, out } = await run(['runs', 'compare', 'baseline', id(grouped), '--json', '--runs', RUNS]);
    expect(code).toBe(EXIT.ok);
    const c = JSON.parse(out[0] as string) as { settings: { key: string; differs: boolean }[]; pairs: { settings: string[] }[] };
    // The second run's binding groups rows (GAUC): a binding difference, listed with the settings.
    expect(c.pairs[0]?.settings).toEqual(['learningRate', 'epochs', 'group']);
    const text = (await run(['runs', 'compare', 'baseline', id(grouped), '--runs', RUNS])).out[0] ?? '';
    expect(text).toMatch(/^\* learning rate +0\.02 +0\.01$/m);
    expect(text).toMatch(/^\* group column \(binding\) +none +\S+$/m);
    expect(text).toMatch(/^ {2}optimizer +adam +adam$/m);
    expect(text.split('\n')[0]?.trim().split(/\s+/)).toEqual(['baseline', id(grouped)]);
  });

  it('delete refuses without --yes when no one can be asked; with --yes the folder is gone', async () => {
    const refused = await run(['runs', 'delete', 'baseline', '--runs', RUNS]);
    expect(refused.code).toBe(EXIT.badInput);
    expect(refused.err).toEqual([`refusing to delete ${plain} without --yes (not at a terminal, so no one can be asked)`]);
    expect(existsSync(plain)).toBe(true);
    const deleted = await run(['runs', 'delete', 'baseline', '--yes', '--runs', RUNS]);
    expect(deleted.out).toEqual([`deleted ${plain}`]);
    expect(existsSync(plain)).toBe(false);
    expect((await run(['runs', 'delete', 'baseline', '--yes', '--runs', RUNS])).err).toEqual([`no run is named "baseline" in ${RUNS}`]);
  });
});

describe.skipIf(!existsSync(path.join(ALI_CCP, 'ali_ccp_test_sample.csv')))('towerflow evaluate on ESMM (Ali-CCP sample)', () => {
  it('adds cvr_on_clicks: the CVR output ranked against purchase on the clicked rows only', async () => {
    const trained = await run(['train', 'templates/esmm.json', '--data', path.join(ALI_CCP, 'ali_ccp_train_sample.csv'), '--binding', 'examples/ali-ccp.binding.json', '--epochs', '1', '--backend', 'cpu', '--runs', path.join(tmp, 'runs-esmm')]);
    expect(trained.code).toBe(EXIT.ok);
    const dir = savedDir(trained.out);
    const test = path.join(ALI_CCP, 'ali_ccp_test_sample.csv');
    const { code, out } = await run(['evaluate', dir, '--data', test, '--json', '--backend', 'cpu']);
    expect(code).toBe(EXIT.ok);
    const result = JSON.parse(out[0] as string) as { tasks: Record<string, { auc: number | null; logloss: number | null }>; rows: number };
    expect(Object.keys(result.tasks)).toEqual(['ctr', 'ctcvr', 'cvr_on_clicks']);
    // By hand from the file and predict's cvr column: the rows whose click is 1, labelled by purchase.
    const rows = readFileSync(test, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const predicted = await run(['predict', dir, '--data', test, '--backend', 'cpu']);
    const [header, ...lines] = (predicted.out[0] ?? '').split('\n');
    const cvrColumn = header?.split(',').indexOf('cvr') ?? -1;
    expect(cvrColumn).toBeGreaterThanOrEqual(0);
    const clicked = rows.map((r, i) => ({ click: r[0], purchase: Number(r[1]), cvr: Number(lines[i]?.split(',')[cvrColumn]) })).filter((r) => r.click === '1');
    expect(clicked.length).toBeGreaterThan(0);
    const expected = auc(clicked.map((r) => r.purchase), clicked.map((r) => r.cvr));
    if (Number.isNaN(expected)) expect(result.tasks.cvr_on_clicks?.auc).toBeNull();
    else expect(result.tasks.cvr_on_clicks?.auc).toBeCloseTo(expected, 5);
    expect(result.tasks.cvr_on_clicks?.logloss).toBeCloseTo(logloss(clicked.map((r) => r.purchase), clicked.map((r) => r.cvr)), 4);
  });
});

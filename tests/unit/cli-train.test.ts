import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { mmoeSynthetic } from '../../app/data/synthetic';
import { loadRun, predictFile, type RunSummary } from '../../app/train/run';
import { twoTaskCsv, twoTaskGraph } from './train/helpers';
import { runCli } from '../helpers/cli';

/** `towerflow train | predict | synth | sequences` through main(argv, io), as the bin script runs them. */
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DATA = path.resolve(process.cwd(), '../shared/data');

function writeTemp(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const run = runCli;

const GRAPH = writeTemp('two-tasks.json', JSON.stringify(twoTaskGraph({ name: 'Two tasks' })));
const TRAIN = writeTemp('train.csv', twoTaskCsv(600, 1));
const VALID = writeTemp('valid.csv', twoTaskCsv(150, 2));
const runsDir = (name: string) => path.join(tmp, name);
const savedDir = (out: string[]) => (out.at(-1) ?? '').replace(/^saved /, '');

describe('towerflow train', () => {
  it('exit 0: prints the backend, the run, a table per epoch and where the run was saved (--backend cpu forces cpu)', async () => {
    const { code, out, err } = await run(['train', GRAPH, '--data', TRAIN, '--valid', VALID, '--epochs', '2', '--batch-size', '64', '--lr', '0.02', '--backend', 'cpu', '--runs', runsDir('runs')]);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    const dir = savedDir(out);
    expect(path.dirname(dir)).toBe(runsDir('runs'));
    const summary = JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.backend).toBe('cpu');
    expect(out[0]).toBe('backend cpu');
    expect(out[1]).toBe(`reading ${TRAIN}`);
    expect(out[2]).toMatch(/^data: read from the file \(not in the cache\); cached in /);
    expect(out[3]).toBe(`run ${dir}: ${summary.parameters} parameters, 600 training rows, 150 validation rows, backend cpu`);
    // Progress lines (pipes get at most one every few seconds, and the last step of each epoch).
    expect(out.filter((l) => /^epoch \d\/2 \[#+\] 10\/10 /.test(l))).toHaveLength(2);
    // The table after each epoch, with the numbers of metrics.csv.
    const metrics = readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const tables = out.filter((l) => l.startsWith('epoch ') && l.includes('\n'));
    expect(tables).toHaveLength(2);
    tables.forEach((table, i) => {
      const lines = table.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^epoch ${i + 1}: \\d+\\.\\d s, \\d+ samples/s, lr 0\\.\\d+, valid loss \\d\\.\\d{4}( {2}\\(best so far\\))?$`));
      expect(lines[1]?.trim().split(/\s{2,}/)).toEqual(['task', 'train loss', 'valid loss', 'AUC', 'GAUC', 'logloss', 'MSE']);
      for (const [row, task] of [[lines[2], 'a'], [lines[3], 'b']] as const) {
        const train = metrics.find((m) => m[0] === String(i + 1) && m[1] === 'train' && m[2] === task);
        const valid = metrics.find((m) => m[0] === String(i + 1) && m[1] === 'valid' && m[2] === task);
        expect(row?.trim().split(/\s+/)).toEqual([task, Number(train?.[3]).toFixed(4), Number(valid?.[3]).toFixed(4), Number(valid?.[4]).toFixed(4), '—', Number(valid?.[5]).toFixed(4), '—']);
      }
    });
    expect(out.at(-2)).toMatch(new RegExp(`^completed: trained 2 epochs\\. Best epoch ${summary.bestEpoch}; \\d+ samples/s on cpu; \\d+s in all\\.$`));
  });

  it('without --backend takes the fastest available one (wasm here unless a native package is installed)', async () => {
    const { code, out } = await run(['train', GRAPH, '--data', TRAIN, '--epochs', '1', '--validation', '0.25', '--runs', runsDir('runs-default')]);
    expect(code).toBe(EXIT.ok);
    const summary = JSON.parse(readFileSync(path.join(savedDir(out), 'summary.json'), 'utf8')) as RunSummary;
    expect(out[0]).toBe(summary.backendNote);
    expect(['node-gpu', 'node', 'wasm']).toContain(summary.backend);
    expect(summary.validRows + summary.trainRows).toBe(600);
    expect(Math.abs(summary.validRows - 150)).toBeLessThan(40);
  });

  it('bad data: exit 1 with file:line: column: message, and no run folder', async () => {
    const bad = writeTemp('bad.csv', `${twoTaskCsv(5, 1).trimEnd()}\nred,circle,0.5,lots,1,0\n`);
    const { code, err } = await run(['train', GRAPH, '--data', bad, '--runs', runsDir('runs-bad'), '--backend', 'cpu']);
    expect(code).toBe(EXIT.badInput);
    expect(err).toEqual([`${bad}:7: column "y": expected a number, got "lots"`]);
    expect(() => readdirSync(runsDir('runs-bad'))).toThrow();
  });

  it.each([
    { what: 'a missing graph file', argv: () => ['train', path.join(tmp, 'nope.json'), '--data', TRAIN], err: () => `${path.join(tmp, 'nope.json')}: cannot read the file (ENOENT)` },
    { what: 'a missing data file', argv: () => ['train', GRAPH, '--data', path.join(tmp, 'nope.csv'), '--backend', 'cpu'], err: () => `${path.join(tmp, 'nope.csv')}: file not found` },
    { what: 'a binding that is not valid', argv: () => ['train', GRAPH, '--data', TRAIN, '--binding', writeTemp('bad-binding.json', '{"features":{"x":{"log":"yes"}}}')], err: () => `${path.join(tmp, 'bad-binding.json')}: invalid dataset binding at features.x.log: Invalid input: expected boolean, received string` },
  ])('$what: exit 1', async ({ argv, err }) => {
    const result = await run(argv());
    expect(result.code).toBe(EXIT.badInput);
    expect(result.err.at(-1)).toBe(err());
  });

  it.each([
    { what: 'bad --epochs (0)', args: ['--data', TRAIN, '--epochs', '0'], message: '--epochs must be an integer from 1 to 100000, got "0"' },
    { what: 'bad --epochs (text)', args: ['--data', TRAIN, '--epochs', 'many'], message: '--epochs must be an integer from 1 to 100000, got "many"' },
    { what: 'unknown --optimizer', args: ['--data', TRAIN, '--optimizer', 'rmsprop'], message: '--optimizer must be one of adam, adagrad, sgd, got "rmsprop"' },
    { what: 'missing --data', args: [], message: '--data <file> is required' },
    { what: 'bad --lr', args: ['--data', TRAIN, '--lr', '0'], message: '--lr must be a number from 1e-8 to 10, got "0"' },
    { what: 'unknown --backend', args: ['--data', TRAIN, '--backend', 'webgl'], message: '--backend must be one of webgpu, node-gpu, node, wasm, cpu, got "webgl"' },
    { what: 'bad --loss-weights', args: ['--data', TRAIN, '--loss-weights', 'a=heavy'], message: '--loss-weights takes task=weight pairs like "income=1,marital=0.5", got "a=heavy"' },
    { what: 'an unknown option', args: ['--data', TRAIN, '--learning-rate', '0.1'], message: 'unknown option --learning-rate' },
  ])('usage error, exit 2: $what', async ({ args, message }) => {
    const { code, out, err } = await run(['train', GRAPH, ...args]);
    expect(code).toBe(EXIT.usage);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]?.split('\n')[0]).toContain(`towerflow train: ${message}`);
    expect(err[0]).toContain('Usage: towerflow <command> [options]');
  });
});

describe('towerflow predict', () => {
  it('writes a CSV with one column per output and one row per input row, the run model predictions', async () => {
    const trained = await run(['train', GRAPH, '--data', TRAIN, '--epochs', '1', '--backend', 'cpu', '--runs', runsDir('runs-predict')]);
    expect(trained.code).toBe(EXIT.ok);
    const dir = savedDir(trained.out);
    const out = path.join(tmp, 'predictions.csv');
    const { code, out: lines, err } = await run(['predict', dir, '--data', VALID, '--out', out, '--backend', 'cpu']);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(lines).toEqual([`wrote 150 predictions of a, b to ${out}`]);
    const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(header).toBe('a,b');
    expect(rows).toHaveLength(150);
    const loaded = await loadRun(dir);
    if ('error' in loaded) throw new Error(loaded.error);
    const expected = await predictFile(loaded, VALID);
    if ('error' in expected) throw new Error(expected.error);
    rows.forEach((row, r) => {
      const cells = row.split(',').map(Number);
      expect(cells).toHaveLength(2);
      cells.forEach((v, c) => expect(v).toBeCloseTo(expected.values[c]?.[r] as number, 6));
    });
    loaded.model.dispose();
    loaded.compiled.model.dispose();

    // Without --out the CSV goes to stdout.
    const printed = await run(['predict', dir, '--data', VALID, '--backend', 'cpu']);
    expect(printed.code).toBe(EXIT.ok);
    expect(printed.out.join('\n').split('\n')).toEqual([header, ...rows]);
  });

  it.each([
    { what: 'missing --data', argv: ['predict', 'runs/x'], code: EXIT.usage },
    { what: 'no run folder', argv: ['predict', '--data', 'x.csv'], code: EXIT.usage },
    { what: 'a folder that is not a run', argv: ['predict', '.', '--data', 'x.csv', '--backend', 'cpu'], code: EXIT.badInput },
  ])('$what: exit $code', async ({ argv, code }) => {
    expect((await run(argv)).code).toBe(code);
  });
});

describe('towerflow synth', () => {
  const synth = async (seed: number, name: string) => {
    const file = path.join(tmp, name);
    const result = await run(['synth', 'mmoe', '--correlation', '0.5', '--rows', '40', '--seed', String(seed), '--out', file]);
    return { ...result, file, text: readFileSync(file, 'utf8') };
  };

  it('mmoe: header x0..x99,y1,y2, one line per row, the generator values; the same seed gives the same file', async () => {
    const a = await synth(3, 'synth-a.csv');
    expect(a.code).toBe(EXIT.ok);
    expect(a.out).toEqual([`wrote 40 rows × 100 features (task correlation p = 0.5) to ${a.file}`]);
    const [header, ...rows] = a.text.trimEnd().split('\n');
    expect(header?.split(',')).toEqual([...Array.from({ length: 100 }, (_, i) => `x${i}`), 'y1', 'y2']);
    expect(rows).toHaveLength(40);
    rows.forEach((r) => expect(r.split(',')).toHaveLength(102));
    const data = mmoeSynthetic({ n: 40, p: 0.5, seed: 3, d: 100 });
    const first = rows[0]?.split(',').map(Number) ?? [];
    expect(first[0]).toBeCloseTo(data.x[0] as number, 5);
    expect(first[100]).toBeCloseTo(data.y1[0] as number, 5);
    expect(first[101]).toBeCloseTo(data.y2[0] as number, 5);
    expect((await synth(3, 'synth-b.csv')).text).toBe(a.text);
    expect((await synth(4, 'synth-c.csv')).text).not.toBe(a.text);
  });

  it.each([
    { argv: ['synth', 'census', '--correlation', '0.5', '--out', 'x.csv'] },
    { argv: ['synth', 'mmoe', '--out', 'x.csv'] },
    { argv: ['synth', 'mmoe', '--correlation', '2', '--out', 'x.csv'] },
    { argv: ['synth', 'mmoe', '--correlation', '0.5'] },
  ])('usage error, exit 2: $argv', async ({ argv }) => {
    expect((await run(argv)).code).toBe(EXIT.usage);
  });
});

describe('towerflow sequences on MovieLens-100k', () => {
  it('train + test rows = 100,000 − events with fewer than --min-history earlier items; no history item is as late as its candidate', async () => {
    const train = path.join(tmp, 'seq-train.csv');
    const test = path.join(tmp, 'seq-test.csv');
    const { code, out, err } = await run(['sequences', path.join(DATA, 'movielens-100k/u.data.gz'), '--columns', 'user,item,rating,timestamp', '--out', train, '--test-out', test, '--test-last', '1', '--min-history', '3', '--max-length', '20', '--label-column', 'rating', '--label-at-least', '4']);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);

    // Independently: the events, and per event how many of its user's events are strictly earlier.
    const events = gunzipSync(readFileSync(path.join(DATA, 'movielens-100k/u.data.gz')))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [user, item, rating, time] = line.split('\t');
        return { user: user as string, item: item as string, rating: Number(rating), time: Number(time) };
      });
    expect(events).toHaveLength(100_000);
    const times = new Map<string, number[]>();
    for (const e of events) {
      const list = times.get(e.user);
      if (list) list.push(e.time);
      else times.set(e.user, [e.time]);
    }
    const tooShort = events.filter((e) => {
      let earlier = 0;
      for (const t of times.get(e.user) ?? []) if (t < e.time) earlier++;
      return earlier < 3;
    }).length;
    const when = new Map(events.map((e) => [`${e.user}/${e.item}`, e.time]));

    const parse = (file: string) => {
      const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(header).toBe('user,history,candidate,label,timestamp,split');
      return lines.map((l) => {
        const [user, history, candidate, label, timestamp, split] = l.split(',');
        return { user: user as string, history: (history ?? '').split('|'), candidate: candidate as string, label: Number(label), timestamp: Number(timestamp), split };
      });
    };
    const trainRows = parse(train);
    const testRows = parse(test);
    expect(trainRows.length + testRows.length).toBe(100_000 - tooShort);
    expect(tooShort).toBeGreaterThan(943 * 3 - 100);
    expect(out).toEqual([`read 100000 events; wrote ${trainRows.length} rows to ${train} and ${testRows.length} to ${test}`]);
    expect(new Set(testRows.map((r) => r.user)).size).toBe(testRows.length);
    expect(testRows.every((r) => r.split === 'test') && trainRows.every((r) => r.split === 'train')).toBe(true);
    // Plain checks per row (expect per row would dominate the run time), one assertion at the end.
    const problems: string[] = [];
    for (const row of [...trainRows, ...testRows]) {
      if (row.history.length < 3 || row.history.length > 20) problems.push(`user ${row.user}: history of ${row.history.length}`);
      if (when.get(`${row.user}/${row.candidate}`) !== row.timestamp) problems.push(`user ${row.user}: candidate ${row.candidate} has the wrong time`);
      for (const item of row.history) {
        const t = when.get(`${row.user}/${item}`);
        if (t === undefined || t >= row.timestamp) problems.push(`user ${row.user}: history item ${item} (time ${t}) is not earlier than candidate ${row.candidate} (time ${row.timestamp})`);
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    // Labels: rating ≥ 4.
    const rating = new Map(events.map((e) => [`${e.user}/${e.item}`, e.rating]));
    expect(trainRows.slice(0, 500).every((r) => r.label === ((rating.get(`${r.user}/${r.candidate}`) ?? 0) >= 4 ? 1 : 0))).toBe(true);
  });

  it('--items adds each movie\'s genres to candidate and history, from u.item\'s flag columns', async () => {
    const genres = ['unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western'];
    const out = path.join(tmp, 'seq-genres.csv');
    const ml = path.join(DATA, 'movielens-100k');
    const { code, err } = await run(['sequences', path.join(ml, 'u.data.gz'), '--columns', 'user,item,rating,timestamp', '--out', out, '--max-length', '5', '--items', path.join(ml, 'u.item.gz'), '--item-columns', ['movie', 'title', 'release', 'video', 'url', ...genres].join(','), '--item-key', 'movie', '--item-flags', `genres=${genres.join(',')}`]);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    // Independently: u.item's genre flags (latin-1, '|'-separated), as names joined with '+'.
    const genreOf = new Map(
      gunzipSync(readFileSync(path.join(ml, 'u.item.gz')))
        .toString('latin1')
        .trim()
        .split('\n')
        .map((line) => {
          const fields = line.split('|');
          return [fields[0] as string, genres.filter((_, i) => fields[5 + i] === '1').join('+')];
        }),
    );
    const [header, ...lines] = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(header).toBe('user,history,candidate,label,timestamp,split,candidate_genres,history_genres');
    const problems = lines.slice(0, 2000).flatMap((line) => {
      const f = line.split(',');
      const history = (f[1] ?? '').split('|');
      const expected = [genreOf.get(f[2] as string), history.map((item) => genreOf.get(item)).join('|')];
      return expected[0] === f[6] && expected[1] === f[7] ? [] : [`${line} → expected ${expected.join(' / ')}`];
    });
    expect(problems.slice(0, 3)).toEqual([]);
    // The example graph and binding of DIN with genres train on these rows as written (a 3,000-row slice).
    const slice = path.join(tmp, 'seq-genres-slice.csv');
    writeFileSync(slice, `${[header, ...lines.slice(0, 3000)].join('\n')}\n`);
    const trained = await run(['train', 'examples/movielens-din-genres.graph.json', '--data', slice, '--binding', 'examples/movielens-din-genres.binding.json', '--epochs', '1', '--validation', '0.2', '--runs', runsDir('runs-din-genres')]);
    expect(trained.err).toEqual([]);
    expect(trained.code).toBe(EXIT.ok);
    expect((await run(['sequences', 'x', '--out', 'y', '--item-flags', 'g=a,b'])).code).toBe(EXIT.usage);
    expect((await run(['sequences', 'x', '--out', 'y', '--items', 'i.csv'])).code).toBe(EXIT.usage);
  });

  it('usage errors exit 2: --test-last without --test-out, --label-at-least without --label-column', async () => {
    expect((await run(['sequences', 'x', '--out', 'y', '--test-last', '1'])).code).toBe(EXIT.usage);
    expect((await run(['sequences', 'x', '--out', 'y', '--label-at-least', '4'])).code).toBe(EXIT.usage);
  });
});

describe('ESMM on the Ali-CCP sample (pipeline smoke test)', () => {
  it('trains with --valid, and predict gives ctr, cvr and ctcvr with ctcvr = ctr × cvr', async () => {
    const ali = path.join(DATA, 'ali-ccp-sample');
    const trained = await run(['train', 'templates/esmm.json', '--data', path.join(ali, 'ali_ccp_train_sample.csv'), '--valid', path.join(ali, 'ali_ccp_val_sample.csv'), '--binding', 'examples/ali-ccp.binding.json', '--epochs', '2', '--batch-size', '32', '--runs', runsDir('runs-esmm')]);
    expect(trained.err).toEqual([]);
    expect(trained.code).toBe(EXIT.ok);
    expect(trained.out[3]).toMatch(/, 100 training rows, 50 validation rows, backend /);
    const dir = savedDir(trained.out);
    const metrics = readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(metrics.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([1, 2].flatMap((e) => [`${e},train,ctr`, `${e},train,ctcvr`, `${e},valid,ctr`, `${e},valid,ctcvr`]));
    const out = path.join(tmp, 'esmm-predictions.csv');
    const predicted = await run(['predict', dir, '--data', path.join(ali, 'ali_ccp_test_sample.csv'), '--out', out]);
    expect(predicted.code).toBe(EXIT.ok);
    const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(header).toBe('ctr,cvr,ctcvr');
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      const [ctr, cvr, ctcvr] = row.split(',').map(Number) as [number, number, number];
      [ctr, cvr, ctcvr].forEach((p) => expect(p > 0 && p < 1).toBe(true));
      expect(Math.abs(ctcvr - ctr * cvr)).toBeLessThan(1e-5);
    }
  });
});

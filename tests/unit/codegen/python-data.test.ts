import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main, type CliIO } from '../../../app/cli/main';
import { parseBinding } from '../../../app/data/binding';
import { formatDataError, isDataError } from '../../../app/data/errors';
import { encodeFile, prepareData } from '../../../app/data/prepare';
import type { Graph } from '../../../app/graph/schema';
import { compileOrThrow } from '../../helpers/plain';
import { CENSUS_GZ, MOVIELENS_GZ, movielensSequences, template } from '../train/helpers';
import { exportPackage, pythonEnv, run, runPython } from './python-support';
import { scratchDir } from './support';

/**
 * The PyTorch export's data side on a cluster (#20 part 2): data.py's columnar encoding gives
 * Towerflow's arrays (census, a DIN sequence file) without falling back to the row-by-row reader,
 * and that reader still locates errors (file:line, column) inside a process's share; the shares of
 * one file are disjoint and cover it (plain, gzip, Parquet); fit_encoders.py writes a Towerflow
 * run's encoders.json; train.py refuses several processes without shared encoders, and two
 * "machines" with files of 4,000 and 3,000 rows train every epoch to identical replicas.
 * Skipped with the reason where there is no project-local Python (scripts/python-env.sh).
 */
const ROOT = process.cwd();
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the data.py cluster tests: ${env.reason ?? 'no Python environment'}`);
const PYTHON = env.python ?? 'python3';
const BIN = path.dirname(PYTHON);
const CENSUS_BINDING = path.join(ROOT, 'examples/census-income.binding.json');
const tmp = scratchDir('towerflow-torch-data-');
afterAll(() => tmp.remove());
const at = (name: string) => path.join(tmp.dir, name);

const censusLines = (() => {
  let lines: string[] | undefined;
  return (from: number, rows: number) => {
    lines ??= gunzipSync(readFileSync(CENSUS_GZ)).toString('utf8').split('\n').filter((l) => l.trim() !== '');
    return lines.slice(from, from + rows);
  };
})();

/** A TCP port free right now (the two torchrun launches meet there; a fixed one could clash with other runs). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function cli(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t) };
  return { code: await main(argv, io), out, err };
}

/** Towerflow's encoders (fitted on all of `train`) and its arrays for `rows`, by input and label name, as nested lists. */
async function towerflowEncoding(graph: Graph, bindingFile: string, train: string, rows: string) {
  const compiled = compileOrThrow(graph);
  try {
    const binding = parseBinding(JSON.parse(readFileSync(bindingFile, 'utf8')));
    if (isDataError(binding)) throw new Error(binding.message);
    const prepared = await prepareData(compiled, binding, { train }, { validation: 0, seed: 1 });
    if (isDataError(prepared)) throw new Error(formatDataError(prepared));
    const encoded = await encodeFile(compiled, prepared.encoders, binding, rows, true);
    if (isDataError(encoded)) throw new Error(formatDataError(encoded));
    const inputs = Object.fromEntries(
      compiled.inputs.map((spec) => {
        const width = spec.shape.reduce((a, b) => a * b, 1);
        const values = encoded.inputs[spec.name] as Int32Array | Float32Array;
        return [spec.name, Array.from({ length: encoded.rows }, (_, r) => Array.from(values.subarray(r * width, (r + 1) * width)))];
      }),
    );
    const labels = Object.fromEntries(Object.entries(encoded.labels).map(([name, values]) => [name, Array.from(values)]));
    return { encoders: JSON.parse(JSON.stringify(prepared.encoders)) as unknown, inputs, labels };
  } finally {
    compiled.model.dispose();
  }
}

/** data.py's fit and encoding in the package `dir`, with how many reads fell back to the row-by-row reader. */
const ENCODE = `
import json, sys
import data, model
binding = data.read_json(sys.argv[2])
fitted = data.fit_encoders(sys.argv[1], binding, model.INPUTS, model.OUTPUTS)
inputs, labels = data.encode_file(sys.argv[3], binding, fitted, model.INPUTS, True)
print(json.dumps({"fitted": fitted, "inputs": {k: v.tolist() for k, v in inputs.items()}, "labels": {k: v.tolist() for k, v in labels.items()}, "reads": data.READS}))
`;

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('data.py, columnar: the arrays of Towerflow', () => {
  it.each([
    ['census (MMoE), 3,000 rows', 'mmoe'],
    ['a DIN sequence file (MovieLens histories), 3,000 rows', 'din'],
  ])('%s: the same encoders and arrays, with no row-by-row read', async (_, name) => {
    if (name === 'din' && !existsSync(MOVIELENS_GZ)) return console.warn(`skipped: ${MOVIELENS_GZ} is not here`);
    const dir = await exportPackage(template(name), at(`pkg-${name}`));
    const file = at(`${name}.csv`);
    if (name === 'din') await movielensSequences(file, 3000);
    else writeFileSync(file, `${censusLines(0, 3000).join('\n')}\n`);
    const binding = name === 'din' ? path.join(ROOT, 'examples/movielens-din.binding.json') : CENSUS_BINDING;
    const ours = await towerflowEncoding(template(name), binding, file, file);
    writeFileSync(path.join(dir, 'encode_check.py'), ENCODE);
    const { stdout } = await runPython(PYTHON, ['encode_check.py', file, binding, file], dir, 180_000);
    const theirs = JSON.parse(stdout) as { fitted: unknown; inputs: Record<string, number[][]>; labels: Record<string, number[]>; reads: { columns: number; rows: number } };
    expect(theirs.reads).toEqual({ columns: 2, rows: 0 });
    expect(theirs.fitted).toEqual(ours.encoders);
    expect(Object.keys(theirs.inputs).sort()).toEqual(Object.keys(ours.inputs).sort());
    for (const [input, rows] of Object.entries(ours.inputs)) expect(theirs.inputs[input], input).toEqual(rows);
    expect(theirs.labels).toEqual(ours.labels);
  }, 240_000);

  it("a word in a numeric column: found by the columns, located by the row-by-row reader as before (file:line, column), in a process's share too", async () => {
    const dir = await exportPackage(template('mmoe'), at('pkg-errors'));
    const lines = censusLines(0, 2000);
    lines[1499] = lines[1499]?.replace(/^\d+,/, 'forty,') ?? '';
    const file = at('census-bad.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const script = [
      'import json, sys',
      'import data, model',
      'binding = data.read_json(sys.argv[2])',
      'encoders = data.read_json(sys.argv[3])',
      'out = []',
      'for share in (data.WHOLE, data.Share(1, 2), data.Share(0, 2)):',
      '    try:',
      '        rows = len(data.encode_file(sys.argv[1], binding, encoders, model.INPUTS, True, share)[1]["income"])',
      '        out.append({"rows": rows})',
      '    except data.DataError as error:',
      '        out.append({"code": error.code, "line": error.line, "column": error.column, "text": str(error)})',
      'print(json.dumps({"results": out, "reads": data.READS}))',
    ].join('\n');
    writeFileSync(path.join(dir, 'errors_check.py'), script);
    writeFileSync(at('good.csv'), `${censusLines(0, 100).join('\n')}\n`);
    await runPython(PYTHON, ['fit_encoders.py', '--data', at('good.csv'), '--binding', CENSUS_BINDING, '--out', at('good-encoders.json')], dir);
    const { stdout } = await runPython(PYTHON, ['errors_check.py', file, CENSUS_BINDING, at('good-encoders.json')], dir);
    const result = JSON.parse(stdout) as { results: Record<string, unknown>[]; reads: { columns: number; rows: number } };
    const located = { code: 'E_DATA_NOT_NUMERIC', line: 1500, column: 'age', text: `${file}:1500: column "age": expected a number, got 'forty' [E_DATA_NOT_NUMERIC]` };
    // The whole file and the second half (which holds line 1500) say where; the first half has no error.
    expect(result.results[0]).toEqual(located);
    expect(result.results[1]).toEqual(located);
    expect(result.results[2]).toEqual({ rows: expect.any(Number) as number });
    expect(result.reads).toEqual({ columns: 1, rows: 2 }); // the first half through the columns; each error found there, then located row by row
  }, 120_000);
});

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('data.py: the shares of one file', () => {
  it('are disjoint and cover the file, for 1–4 processes: plain CSV (CRLF, a header), gzip, Parquet', async () => {
    const dir = await exportPackage(template('mmoe'), at('pkg-shares'));
    // A row number in the first column (age) makes each row known after encoding: its standardised value.
    const rows = censusLines(0, 1001).map((line, i) => line.replace(/^\d+,/, `${i},`));
    const header = (JSON.parse(readFileSync(CENSUS_BINDING, 'utf8')) as { columns: string[] }).columns.join(',');
    writeFileSync(at('numbered.csv'), `${header}\r\n${rows.join('\r\n')}\r\n`);
    writeFileSync(at('numbered.csv.gz'), gzipSync(`${rows.join('\n')}\n`));
    const script = [
      'import json, sys',
      'import numpy as np, pyarrow.csv as pv, pyarrow.parquet as pq',
      'import data, model',
      'headed = {**data.read_json(sys.argv[1]), "header": True}',
      'plain = data.read_json(sys.argv[1])',
      'pq.write_table(pv.read_csv(sys.argv[2]), sys.argv[4], row_group_size=128)',
      'files = [(sys.argv[2], headed), (sys.argv[3], plain), (sys.argv[4], plain)]',
      'encoders = data.fit_encoders(sys.argv[3], plain, model.INPUTS, model.OUTPUTS)',
      'age = next(s for s in model.INPUTS if s["kind"] == "numeric")["name"]',
      'mean, std = encoders["inputs"][age]["encoders"][0]["mean"], encoders["inputs"][age]["encoders"][0]["std"]',
      'out = {}',
      'for file, binding in files:',
      '    for count in (1, 2, 3, 4):',
      '        parts = []',
      '        for index in range(count):',
      '            inputs, _ = data.encode_file(file, binding, encoders, model.INPUTS, True, data.Share(index, count))',
      '            parts.append(np.rint(inputs[age][:, 0].astype(np.float64) * std + mean).astype(int).tolist())',
      '        lines = [[line for line, _ in data.open_bound(file, binding).rows(data.Share(index, count))] for index in range(count)]',
      '        out[f"{file.rsplit(\'.\', 1)[-1]} {count}"] = {"parts": parts, "lines": lines}',
      'print(json.dumps({"shares": out, "reads": data.READS}))',
    ].join('\n');
    writeFileSync(path.join(dir, 'shares_check.py'), script);
    const { stdout } = await runPython(PYTHON, ['shares_check.py', CENSUS_BINDING, at('numbered.csv'), at('numbered.csv.gz'), at('numbered.parquet')], dir, 180_000);
    const result = JSON.parse(stdout) as { shares: Record<string, { parts: number[][]; lines: number[][] }>; reads: { rows: number } };
    expect(result.reads.rows).toBe(0);
    const all = Array.from({ length: 1001 }, (_, i) => i);
    for (const [name, { parts, lines }] of Object.entries(result.shares)) {
      const count = parts.length;
      // Every row in exactly one part; each part about 1/count of the rows.
      expect([...parts.flat()].sort((a, b) => a - b), name).toEqual(all);
      for (const part of parts) expect(Math.abs(part.length - 1001 / count), name).toBeLessThan(40);
      // Plain text and Parquet: contiguous parts in file order; gzip: row i to part i % count.
      if (name.startsWith('gz')) parts.forEach((part, index) => expect(part, name).toEqual(all.filter((i) => i % count === index)));
      else expect(parts.flat(), name).toEqual(all);
      // The row-by-row reader (it locates errors) reads the same parts, at the file's own line numbers.
      expect(lines.map((l) => l.length), name).toEqual(parts.map((p) => p.length));
      if (name.startsWith('csv')) expect(lines.flat(), name).toEqual(all.map((i) => i + 2));
    }
  }, 180_000);
});

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('fit_encoders.py', () => {
  it("writes the encoders.json of a Towerflow run on the same file (all of it training data)", async () => {
    const dir = await exportPackage(template('mmoe'), at('pkg-fit'));
    const file = at('census-fit.csv');
    writeFileSync(file, `${censusLines(5000, 3000).join('\n')}\n`);
    const trained = await cli(['train', 'templates/mmoe.json', '--data', file, '--binding', CENSUS_BINDING, '--validation', '0', '--epochs', '1', '--batch-size', '256', '--backend', 'cpu', '--runs', at('runs')]);
    expect(trained.err).toEqual([]);
    expect(trained.code).toBe(EXIT.ok);
    const runDir = (trained.out.at(-1) ?? '').replace(/^saved /, '');
    const { stdout } = await runPython(PYTHON, ['fit_encoders.py', '--data', file, '--binding', CENSUS_BINDING, '--out', at('fitted.json')], dir);
    expect(stdout).toMatch(/^fitted 33 inputs on 1 file in [\d.]+ s: wrote /);
    expect(JSON.parse(readFileSync(at('fitted.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(path.join(runDir, 'encoders.json'), 'utf8')));
  }, 180_000);
});

describe.skipIf(!env.python || !existsSync(CENSUS_GZ))('train.py on a cluster of processes', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await exportPackage(template('mmoe'), at('pkg-cluster'));
    writeFileSync(at('machine-0.csv'), `${censusLines(0, 4000).join('\n')}\n`);
    writeFileSync(at('machine-1.csv'), `${censusLines(4000, 3000).join('\n')}\n`);
    writeFileSync(at('cluster-valid.csv'), `${censusLines(7000, 1000).join('\n')}\n`);
  });

  it('several processes without --encoders are refused, with the command that makes them', async () => {
    const args = ['--nproc-per-node', '2', '--master-port', String(await freePort()), 'train.py', '--data', at('machine-0.csv'), '--binding', CENSUS_BINDING, '--epochs', '1', '--out', at('refused')];
    const failed = await run(path.join(BIN, 'torchrun'), args, { cwd: dir, timeout: 120_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
    );
    expect(failed.code).not.toBe(0);
    // Every rank refuses the same way; rank 0's line is checked whole.
    expect(failed.stderr.split('\n')).toContain(
      "train.py (rank 0 of 2): 2 processes must encode with the same encoders, fitted once: run 'python fit_encoders.py --data <the training files> --binding <binding> --out encoders.json' and pass --encoders encoders.json [E_TRAIN_NEEDS_ENCODERS]",
    );
    expect(existsSync(at('refused/model.pt'))).toBe(false);
  }, 150_000);

  it('two machines with their own files of 4,000 and 3,000 rows and shared encoders: every epoch, no hang, identical replicas', async () => {
    await runPython(PYTHON, ['fit_encoders.py', '--data', at('machine-*.csv'), '--binding', CENSUS_BINDING, '--out', at('cluster-encoders.json')], dir);
    const out = at('cluster-out');
    const port = await freePort();
    // Two torchrun launches, one per "machine" (--nnodes 2), each given its own file: the per-node layout.
    const machine = (node: number) =>
      run(
        path.join(BIN, 'torchrun'),
        ['--nnodes', '2', '--node-rank', String(node), '--nproc-per-node', '1', '--master-addr', '127.0.0.1', '--master-port', String(port),
          'train.py', '--data', at(`machine-${node}.csv`), '--data-layout', 'per-node', '--encoders', at('cluster-encoders.json'), '--valid', at('cluster-valid.csv'),
          '--binding', CENSUS_BINDING, '--epochs', '3', '--batch-size', '256', '--lr', '0.005', '--out', out],
        { cwd: dir, timeout: 240_000, maxBuffer: 16 << 20 },
      );
    const [first] = await Promise.all([machine(0), machine(1)]);
    console.info(first.stdout.trim());
    // 4,000 rows are 16 batches of 256, 3,000 are 12: both machines take 12 steps per epoch.
    expect(first.stdout).toMatch(/^MMoE: \d+ parameters, 7000 training rows \(per-node data; 12 steps per epoch on every process, 4000 rows here\)/m);
    const summary = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')) as { processes: number; epochsTrained: number; trainRows: number; maxWeightDifference: number; valid: Record<string, { auc: number }> };
    expect(summary).toMatchObject({ processes: 2, epochsTrained: 3, trainRows: 7000, maxWeightDifference: 0 });
    expect(summary.valid.marital?.auc).toBeGreaterThan(0.85);
    for (const epoch of [1, 2, 3]) expect(existsSync(path.join(out, `checkpoint-${epoch}.pt`))).toBe(true);
  }, 300_000);
});

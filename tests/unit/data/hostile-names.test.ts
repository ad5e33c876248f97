import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBinding } from '../../../app/data/binding';
import { inferColumnKinds } from '../../../app/data/column-kinds';
import { formatDataError, isDataError } from '../../../app/data/errors';
import { encodeFile, prepareData, type FittedEncoders } from '../../../app/data/prepare';
import { openTable, collectRows } from '../../../app/data/table-reader';
import { GraphBuilder } from '../../../app/graph/builder';
import { loadRun, predictFile, runTraining } from '../../../app/train/run';
import { binding, compile, rng, tempDir, useBackend } from '../train/helpers';

/**
 * Names users choose (columns, outputs, binding keys, the GAUC group) that are also properties of
 * every plain JavaScript object. Looked up on a plain object, "constructor" finds Object's
 * constructor instead of nothing, and "__proto__" rewires the object; each must stay a plain name
 * from the file through the binding, preparation, a short training run and prediction.
 */
const HOSTILE = ['constructor', 'toString', '__proto__', 'valueOf', 'hasOwnProperty'] as const;
const tmp = tempDir('towerflow-hostile-');
beforeAll(async () => useBackend('cpu'));
afterAll(() => tmp.cleanup());

/** Columns: constructor, toString (categorical); valueOf, __proto__ (numbers); hasOwnProperty (0/1); isPrototypeOf (yes/no). */
function hostileCsv(rows: number, seed: number): string {
  const random = rng(seed);
  const lines = [[...HOSTILE, 'isPrototypeOf'].join(',')];
  for (let i = 0; i < rows; i++) {
    const x = random() * 4 - 2;
    const color = ['red', 'green', 'blue'][Math.floor(random() * 3)] as string;
    lines.push([color, random() < 0.3 ? 'square' : 'circle', x.toFixed(3), random().toFixed(3), x > 0 ? '1' : '0', color === 'red' ? 'yes' : 'no'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Output "constructor" (label column hasOwnProperty by default), output "b" labelled through the binding. */
function hostileGraph() {
  const b = new GraphBuilder('Hostile names');
  b.node('cat', 'input.sparse', 'cat', { columns: ['constructor', 'toString'], vocabSize: 16 });
  b.node('num', 'input.dense', 'num', { columns: ['valueOf', '__proto__'] });
  b.node('emb', 'embedding', 'emb', { dim: 3 });
  b.node('features', 'concat', 'features');
  b.node('ta', 'tower', 'ta', { units: [4], head: 'sigmoid' });
  b.node('tb', 'tower', 'tb', { units: [4], head: 'sigmoid' });
  b.node('oa', 'output', 'oa', { name: 'constructor', label: 'hasOwnProperty' });
  b.node('ob', 'output', 'ob', { name: 'b', label: 'lb' });
  b.connect('cat', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'features', 'inputs').connect('num', 'values', 'features', 'inputs');
  b.connect('features', 'out', 'ta', 'in').connect('features', 'out', 'tb', 'in');
  b.connect('ta', 'out', 'oa', 'prediction').connect('tb', 'out', 'ob', 'prediction');
  return b.build();
}

describe('names that are also Object.prototype properties', () => {
  it('are plain column names in a table, a header named "__proto__" included', async () => {
    const file = tmp.write('table.csv', hostileCsv(3, 1));
    const table = await openTable(file);
    if (isDataError(table)) throw new Error(formatDataError(table));
    expect(table.columns).toEqual([...HOSTILE, 'isPrototypeOf']);
    const rows = await collectRows(table);
    if (isDataError(rows)) throw new Error(formatDataError(rows));
    for (const row of rows) {
      expect(Object.keys(row.values)).toEqual([...HOSTILE, 'isPrototypeOf']);
      for (const name of HOSTILE) expect(typeof row.values[name]).toBe('string');
    }
  });

  it.each(HOSTILE)('a binding keeps features, labels and columns named %s, and looks up nothing it was not given', (name) => {
    const parsed = parseBinding(JSON.parse(`{"columns": ["${name}"], "features": {"${name}": {"column": "x"}}, "labels": {"${name}": {"column": "y"}}, "group": "${name}"}`));
    if (isDataError(parsed)) throw new Error(formatDataError(parsed));
    expect(Object.keys(parsed.features)).toEqual([name]);
    expect(parsed.features[name]).toEqual({ column: 'x' });
    expect(Object.keys(parsed.labels)).toEqual([name]);
    expect(parsed.labels[name]).toEqual({ column: 'y' });
    const empty = parseBinding({});
    if (isDataError(empty)) throw new Error(formatDataError(empty));
    expect(empty.features[name]).toBeUndefined();
    expect(empty.labels[name]).toBeUndefined();
  });

  it.each(HOSTILE)('column kinds are inferred for a column named %s, and an override for another column is not taken for it', (name) => {
    const rows = [{ values: { [name]: '1.5', other: 'a' } }, { values: { [name]: '2.5', other: 'b' } }];
    const kinds = inferColumnKinds(rows, [name], { other: { kind: 'categorical' } });
    expect(Object.keys(kinds)).toEqual([name]);
    expect(kinds[name]).toEqual({ kind: 'numeric', reason: 'all values are numbers' });
  });

  it('an output named "constructor" without a binding label reads its own label column (it used to need column "undefined")', async () => {
    const b = new GraphBuilder('Constructor');
    b.node('num', 'input.dense', 'num', { columns: ['x'] });
    b.node('t', 'tower', 't', { units: [2], head: 'sigmoid' });
    b.node('o', 'output', 'o', { name: 'constructor', label: 'y' });
    b.connect('num', 'values', 't', 'in').connect('t', 'out', 'o', 'prediction');
    const compiled = compile(b.build());
    try {
      const file = tmp.write('constructor.csv', 'x,y\n0.5,1\n-0.5,0\n');
      const prepared = await prepareData(compiled, binding(), { train: file }, { validation: 0, seed: 1 });
      if (isDataError(prepared)) throw new Error(formatDataError(prepared));
      // The prediction (and so the task) is "constructor_" (see the training test below); its label column is still y.
      expect(prepared.encoders.labels).toEqual({ constructor_: { column: 'y' } });
      expect(Array.from(new Map(Object.entries(prepared.train.labels)).get('constructor_') ?? [])).toEqual([1, 0]);
    } finally {
      compiled.model.dispose();
    }
  });

  it('train through binding → prepare → a short run → encoding again with the saved encoders, with output "constructor", a loss weight for the other output only, and GAUC grouped by "toString"', async () => {
    const train = tmp.write('train.csv', hostileCsv(300, 2));
    const valid = tmp.write('valid.csv', hostileCsv(100, 3));
    const bound = binding({
      features: { toString: { encoding: 'hash' }, valueOf: { column: 'valueOf' }, ['__proto__']: { column: '__proto__' }, constructor: { column: 'constructor' } },
      labels: { b: { column: 'isPrototypeOf', equals: 'yes' } },
      group: 'toString',
    });
    const outcome = await runTraining({
      graph: hostileGraph(),
      data: train,
      valid,
      binding: bound,
      options: { optimizer: 'adam', learningRate: 0.05, batchSize: 50, epochs: 2, seed: 1, lossWeights: { b: 1 } },
      validationShare: 0,
      runsDir: tmp.path('runs'),
      backend: 'cpu',
    });
    if (!outcome.ok) throw new Error(outcome.message);
    const summary = outcome.summary;
    expect(summary.trainRows).toBe(300);
    expect(summary.validRows).toBe(100);
    const tasks = new Map(Object.entries(summary.best?.tasks ?? {}));
    // An output named "constructor" is predicted as "constructor_": tfjs's loader looks layers up by
    // name in plain objects, so a layer called "constructor" trains but never reloads.
    expect([...tasks.keys()].sort()).toEqual(['b', 'constructor_']);
    for (const metrics of tasks.values()) {
      for (const key of ['loss', 'auc', 'gauc', 'logloss'] as const) expect(metrics[key], key).toSatisfy(Number.isFinite);
    }
    // The label of "constructor" is x > 0 on the numeric column "valueOf": learnt, so well above chance.
    expect(tasks.get('constructor_')?.auc).toBeGreaterThan(0.8);

    // The saved run reloads and predicts (its model named a layer "constructor" before).
    const run = await loadRun(summary.dir);
    if ('error' in run) throw new Error(run.error);
    const predicted = await predictFile(run, valid);
    if ('error' in predicted) throw new Error(predicted.error);
    expect(predicted.columns).toEqual(['constructor_', 'b']);
    expect(predicted.values[0]).toHaveLength(100);
    run.model.dispose();
    run.compiled.model.dispose();

    // The saved encoders, read back as plain JSON objects, encode the validation file again.
    const encoders = JSON.parse(readFileSync(path.join(summary.dir, 'encoders.json'), 'utf8')) as FittedEncoders;
    const compiled = compile(hostileGraph());
    try {
      const encoded = await encodeFile(compiled, encoders, bound, valid, true);
      if (isDataError(encoded)) throw new Error(formatDataError(encoded));
      expect(encoded.rows).toBe(100);
      expect(Object.keys(encoded.labels)).toEqual(['constructor_', 'b']);
      const lines = readFileSync(valid, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
      expect(Array.from(encoded.labels.b ?? [])).toEqual(lines.map((cells) => (cells[5] === 'yes' ? 1 : 0)));
      expect(Array.from(new Map(Object.entries(encoded.labels)).get('constructor_') ?? [])).toEqual(lines.map((cells) => Number(cells[4])));
    } finally {
      compiled.model.dispose();
    }
  });
});

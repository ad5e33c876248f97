import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledGraph } from '../../../app/compile/to-tfjs';
import { fnv1a32 } from '../../../app/data/encoders';
import { formatDataError, isDataError, type DataError } from '../../../app/data/errors';
import { encodeFile, prepareData, type FittedEncoders } from '../../../app/data/prepare';
import { makeSplitter } from '../../../app/data/split';
import { GraphBuilder } from '../../../app/graph/builder';
import { CENSUS_COLUMNS } from '../data/helpers';
import { binding, censusHead, compile, exampleBinding, prepare, tempDir, template, twoTaskCsv, twoTaskGraph } from './helpers';

/**
 * From files to encoded splits (app/data/prepare.ts with binding.ts and feature-plan.ts): binding by
 * name and by override, header-less files, encoders fitted on training rows only and reused for
 * prediction, shared vocabularies, label rules, data errors with their place, and the split.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const tiny = compile(twoTaskGraph());
const inputOf = (compiled: CompiledGraph, column: string): string => {
  const spec = compiled.inputs.find((i) => i.columns.includes(column));
  if (!spec) throw new Error(`test bug: no input reads ${column}`);
  return spec.name;
};
const COLOR = inputOf(tiny, 'color');
const SHAPE = inputOf(tiny, 'shape');
const NUM = inputOf(tiny, 'x');

/** A tiny CSV parser for files these tests write (no quotes). */
function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = (header ?? '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i] as string, v.trim()])));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const vocabularyOf = (encoders: FittedEncoders, input: string): string[] => {
  const json = encoders.inputs[input]?.encoders[0];
  if (json?.type === 'vocabulary') return [...json.values];
  if (json?.type === 'idlist' && json.ids.type === 'vocabulary') return [...json.ids.values];
  throw new Error(`test bug: ${input} has no vocabulary`);
};

async function expectError(promise: Promise<unknown>): Promise<DataError> {
  const result = await promise;
  if (!isDataError(result)) throw new Error('expected a DataError');
  return result;
}

describe('binding data columns to the graph', () => {
  const text = twoTaskCsv(200, 3);
  const rows = parseCsv(text);
  const file = tmp.write('auto.csv', text);

  it('binds graph columns to data columns of the same name, with 0/1 label columns, when the binding is empty', async () => {
    const prepared = await prepare(tiny, binding(), { train: file }, { validation: 0, seed: 1 });
    expect(prepared.train.rows).toBe(200);
    expect(prepared.valid).toBeUndefined();
    expect(prepared.columns).toEqual({ [COLOR]: ['color'], [SHAPE]: ['shape'], [NUM]: ['x', 'y'] });
    const colors = vocabularyOf(prepared.encoders, COLOR);
    rows.forEach((row, i) => {
      expect(prepared.train.inputs[COLOR]?.[i]).toBe(colors.indexOf(row.color as string) + 1);
      expect(prepared.train.labels.a?.[i]).toBe(Number(row.la));
      expect(prepared.train.labels.b?.[i]).toBe(Number(row.lb));
    });
    // Standardised with the training mean and population std.
    const xs = rows.map((r) => Number(r.x));
    const encodedX = Array.from({ length: 200 }, (_, i) => prepared.train.inputs[NUM]?.[i * 2] as number);
    encodedX.forEach((v, i) => expect(v).toBeCloseTo(((xs[i] as number) - mean(xs)) / std(xs), 5));
  });

  it.each([
    {
      what: 'a data column under another name',
      header: 'colour,shape,x,y,la,lb',
      json: { features: { color: { column: 'colour' } } },
      check: (encoders: FittedEncoders, encoded: Int32Array) => {
        expect(encoders.inputs[COLOR]?.columns).toEqual(['colour']);
        const colors = vocabularyOf(encoders, COLOR);
        rows.forEach((row, i) => expect(encoded[i]).toBe(colors.indexOf(row.color as string) + 1));
      },
    },
    {
      what: 'hash encoding into the table size',
      header: 'color,shape,x,y,la,lb',
      json: { features: { color: { encoding: 'hash' } } },
      check: (encoders: FittedEncoders, encoded: Int32Array) => {
        expect(encoders.inputs[COLOR]?.encoders).toEqual([{ type: 'hash', buckets: 16 }]);
        rows.forEach((row, i) => expect(encoded[i]).toBe(1 + (fnv1a32(row.color as string) % 15)));
      },
    },
  ])('overrides: $what', async ({ header, json, check }) => {
    const renamed = tmp.write(`override-${header.slice(0, 6)}-${Object.keys(json.features)[0]}.csv`, text.replace('color,shape,x,y,la,lb', header));
    const prepared = await prepare(tiny, binding(json), { train: renamed }, { validation: 0, seed: 1 });
    check(prepared.encoders, prepared.train.inputs[COLOR] as Int32Array);
  });

  it('overrides: log1p of a numeric column, standardised with the statistics of log1p(x)', async () => {
    const prepared = await prepare(tiny, binding({ features: { y: { log: true } } }), { train: file }, { validation: 0, seed: 1 });
    const logs = rows.map((r) => Math.log1p(Number(r.y)));
    const json = prepared.encoders.inputs[NUM]?.encoders[1];
    expect(json).toMatchObject({ type: 'numeric', log1p: true });
    expect(json?.type === 'numeric' && json.mean).toBeCloseTo(mean(logs), 9);
    expect(json?.type === 'numeric' && json.std).toBeCloseTo(std(logs), 9);
    rows.forEach((_, i) => expect(prepared.train.inputs[NUM]?.[i * 2 + 1]).toBeCloseTo(((logs[i] as number) - mean(logs)) / std(logs), 5));
    // x is not logged.
    expect(prepared.encoders.inputs[NUM]?.encoders[0]).toMatchObject({ log1p: false });
  });

  it('overrides: the id-list separator of a sequence column (left padding, newest last)', async () => {
    const b = new GraphBuilder('Seq');
    b.node('hist', 'input.sequence', 'hist', { column: 'hist', maxLength: 4, vocabSize: 10 });
    b.node('emb', 'embedding', 'emb', { dim: 2 });
    b.node('pool', 'pooling', 'pool');
    b.node('t', 'tower', 't', { units: [] });
    b.node('o', 'output', 'o', { name: 'y', label: 'y' });
    b.connect('hist', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'pool', 'in').connect('pool', 'out', 't', 'in').connect('t', 'out', 'o', 'prediction');
    const compiled = compile(b.build());
    const seqFile = tmp.write('seq.csv', 'hist,y\na;b;a,1\nc,0\nb;a;a;c;b;d,1\n,0\n');
    const prepared = await prepare(compiled, binding({ features: { hist: { separator: ';' } } }), { train: seqFile }, { validation: 0, seed: 1 });
    const vocab = vocabularyOf(prepared.encoders, 'hist');
    // Counts: a 4, b 3, c 2, d 1 → ids 1..4 in that order.
    expect(vocab).toEqual(['a', 'b', 'c', 'd']);
    expect(Array.from(prepared.train.inputs.hist ?? [])).toEqual([0, 1, 2, 1, 0, 0, 0, 3, 1, 3, 2, 4, 0, 0, 0, 0]);
    expect(prepared.encoders.inputs.hist?.encoders[0]).toMatchObject({ type: 'idlist', separator: ';', maxLength: 4 });
  });
});

describe('header-less census-income rows, named by the binding', () => {
  const text = censusHead(300);
  const file = tmp.write('census-300.csv.gz', gzipSync(text));
  const records = text.trim().split('\n').map((line) => Object.fromEntries(line.split(',').map((v, i) => [CENSUS_COLUMNS[i] as string, v.trim()])));
  const mmoe = compile(template('mmoe'));

  it('reads the gzipped file with the 42 column names of examples/census-income.binding.json', async () => {
    const prepared = await prepare(mmoe, exampleBinding('census-income'), { train: file }, { validation: 0, seed: 1 });
    expect(prepared.train.rows).toBe(300);
    records.forEach((r, i) => {
      expect(prepared.train.labels.income?.[i]).toBe(r.income_50k === '50000+.' ? 1 : 0);
      expect(prepared.train.labels.marital?.[i]).toBe(r.marital_stat === 'Never married' ? 1 : 0);
    });
    expect(records.filter((r) => r.income_50k === '50000+.').length).toBeGreaterThan(0);
    const numeric = mmoe.inputs.find((s) => s.dtype === 'float32');
    if (!numeric) throw new Error('test bug: no dense input');
    expect(numeric.columns[0]).toBe('age');
    const ages = records.map((r) => Number(r.age));
    const width = numeric.columns.length;
    records.forEach((_, i) => expect(prepared.train.inputs[numeric.name]?.[i * width]).toBeCloseTo(((ages[i] as number) - mean(ages)) / std(ages), 4));
    // capital_gains is bound with log: true.
    expect(prepared.encoders.inputs[numeric.name]?.encoders[numeric.columns.indexOf('capital_gains')]).toMatchObject({ log1p: true });
    // education is categorical: every row's value is in the vocabulary (300 rows, table of 64).
    const education = inputOf(mmoe, 'education');
    expect(Array.from(prepared.train.inputs[education] ?? []).every((id) => id > 0)).toBe(true);
  });
});

describe('encoders: fitted on training rows only, saved, and reused for prediction', () => {
  const ratios = { train: 0.75, validation: 0.25 };
  const splitter = makeSplitter(ratios, 5);
  if (isDataError(splitter)) throw new Error('test bug');
  // Rows that the seeded split sends to validation get a colour and an x that no training row has.
  const isValid = (i: number) => splitter.ofIndex(i) === 'validation';
  const text = twoTaskCsv(400, 9, (i) => (isValid(i) ? { color: 'purple', x: '1000' } : {}));
  const rows = parseCsv(text);
  const file = tmp.write('valid-only.csv', text);

  it('a category seen only in validation rows encodes to 0 (out of vocabulary); numeric statistics ignore those rows', async () => {
    const prepared = await prepare(tiny, binding(), { train: file }, { validation: 0.25, seed: 5 });
    const validRows = rows.filter((_, i) => isValid(i));
    expect(validRows.length).toBeGreaterThan(50);
    expect(prepared.valid?.rows).toBe(validRows.length);
    expect(prepared.train.rows).toBe(400 - validRows.length);
    expect(vocabularyOf(prepared.encoders, COLOR)).not.toContain('purple');
    expect(Array.from(prepared.valid?.inputs[COLOR] ?? [-1]).every((id) => id === 0)).toBe(true);
    expect(Array.from(prepared.train.inputs[COLOR] ?? [0]).every((id) => id > 0)).toBe(true);
    const trainX = rows.filter((_, i) => !isValid(i)).map((r) => Number(r.x));
    expect(prepared.encoders.inputs[NUM]?.encoders[0]).toMatchObject({ type: 'numeric' });
    const fitted = prepared.encoders.inputs[NUM]?.encoders[0];
    expect(fitted?.type === 'numeric' && fitted.mean).toBeCloseTo(mean(trainX), 9);
  });

  it('with a separate validation file, only the training file is fitted', async () => {
    const train = tmp.write('sep-train.csv', twoTaskCsv(100, 1));
    const valid = tmp.write('sep-valid.csv', twoTaskCsv(30, 2, () => ({ color: 'purple' })));
    const prepared = await prepare(tiny, binding(), { train, valid });
    expect(prepared.train.rows).toBe(100);
    expect(prepared.valid?.rows).toBe(30);
    expect(vocabularyOf(prepared.encoders, COLOR)).not.toContain('purple');
    expect(Array.from(prepared.valid?.inputs[COLOR] ?? [-1])).toEqual(new Array(30).fill(0));
  });

  it('the saved encoders (a JSON round trip) encode a file exactly as training did', async () => {
    const plain = tmp.write('roundtrip.csv', twoTaskCsv(150, 4));
    const prepared = await prepare(tiny, binding(), { train: plain }, { validation: 0, seed: 1 });
    const saved = JSON.parse(JSON.stringify(prepared.encoders)) as FittedEncoders;
    const again = await encodeFile(tiny, saved, binding(), plain, true);
    if (isDataError(again)) throw new Error(formatDataError(again));
    expect(again.rows).toBe(150);
    for (const name of Object.keys(prepared.train.inputs)) expect(Array.from(again.inputs[name] ?? [])).toEqual(Array.from(prepared.train.inputs[name] ?? []));
    expect(Array.from(again.labels.a ?? [])).toEqual(Array.from(prepared.train.labels.a ?? []));
  });

  it('unseen and missing values at prediction time encode to 0 instead of failing', async () => {
    const prepared = await prepare(tiny, binding(), { train: tmp.write('fit.csv', twoTaskCsv(100, 4)) }, { validation: 0, seed: 1 });
    const predictFile = tmp.write('unseen.csv', 'color,shape,x,y\nmagenta,hexagon,0.5,0.5\nred,,?,0.1\n');
    const encoded = await encodeFile(tiny, prepared.encoders, binding(), predictFile, false);
    if (isDataError(encoded)) throw new Error(formatDataError(encoded));
    expect(Array.from(encoded.inputs[COLOR] ?? [])).toEqual([0, vocabularyOf(prepared.encoders, COLOR).indexOf('red') + 1]);
    expect(Array.from(encoded.inputs[SHAPE] ?? [])).toEqual([0, 0]);
    // A missing number encodes to the training mean, i.e. 0 after standardising.
    expect(encoded.inputs[NUM]?.[2]).toBe(0);
    expect(encoded.labels).toEqual({});
  });
});

describe('one vocabulary for columns that share an embedding table (DIN: item_id and hist_item_id)', () => {
  it('encodes the same item to the same id as candidate and in histories', async () => {
    const din = compile(template('din'));
    const file = tmp.write('din.csv', ['user,history,candidate,label', 'u1,10|20,30,1', 'u1,10|20|30,40,0', 'u2,30,10,1', 'u2,30|10,50,0', 'u3,50|40|30,20,1', 'u3,50|40|30|20,10,0'].join('\n'));
    const prepared = await prepare(din, exampleBinding('movielens-din'), { train: file }, { validation: 0, seed: 1 });
    const item = inputOf(din, 'item_id');
    const hist = inputOf(din, 'hist_item_id');
    const vocab = vocabularyOf(prepared.encoders, item);
    expect(vocabularyOf(prepared.encoders, hist)).toEqual(vocab);
    expect([...vocab].sort()).toEqual(['10', '20', '30', '40', '50']);
    const idOf = (value: string) => vocab.indexOf(value) + 1;
    expect(Array.from(prepared.train.inputs[item] ?? [])).toEqual(['30', '40', '10', '50', '20', '10'].map(idOf));
    // Histories: 20 slots, left-padded; the second row's history ends with the first row's candidate.
    const history = (row: number) => Array.from(prepared.train.inputs[hist]?.subarray(row * 20, row * 20 + 20) ?? []).filter((id) => id !== 0);
    expect(history(1)).toEqual(['10', '20', '30'].map(idOf));
    expect(history(1).at(-1)).toBe(prepared.train.inputs[item]?.[0]);
    expect(history(5)).toEqual(['50', '40', '30', '20'].map(idOf));
    expect(prepared.train.groups && Array.from(prepared.train.groups)).toEqual([0, 0, 1, 1, 2, 2]);
  });
});

describe('label rules', () => {
  const header = 'color,shape,x,y,la,lb,income,rating,click,buy';
  const lines = [
    'red,circle,0.1,0.2,0,1, 50000+.,5,1,1',
    'blue,circle,0.3,0.2,1,0, - 50000.,4,1,0',
    'green,square,0.2,0.1,0,1,50000+. ,3,0,1',
    'red,square,0.5,0.4,1,0,- 50000.,1,0,0',
  ];
  const file = tmp.write('labels.csv', [header, ...lines].join('\n'));
  it.each([
    { rule: undefined, expected: [0, 1, 0, 1], what: 'default: the output label column, 0/1' },
    { rule: { column: 'lb' }, expected: [1, 0, 1, 0], what: 'another 0/1 column' },
    { rule: { column: 'income', equals: '50000+.' }, expected: [1, 0, 1, 0], what: 'equals (trimmed)' },
    { rule: { column: 'rating', atLeast: 4 }, expected: [1, 1, 0, 0], what: 'atLeast' },
    { rule: { all: [{ column: 'click' }, { column: 'buy' }] }, expected: [1, 0, 0, 0], what: "all: ESMM's click AND purchase" },
    { rule: { any: [{ column: 'click' }, { column: 'buy' }] }, expected: [1, 1, 1, 0], what: 'any' },
  ])('$what', async ({ rule, expected }) => {
    const prepared = await prepare(tiny, binding(rule ? { labels: { a: rule } } : {}), { train: file }, { validation: 0, seed: 1 });
    expect(Array.from(prepared.train.labels.a ?? [])).toEqual(expected);
    expect(prepared.encoders.labels.a).toEqual(rule ?? { column: 'la' });
  });
});

describe('data errors name the file, line and column', () => {
  const good = twoTaskCsv(6, 2).trim().split('\n');
  const withLine = (n: number, text: string) => good.map((l, i) => (i === n ? text : l)).join('\n');
  const cases: { what: string; text: string; bind?: unknown; expected: (file: string) => DataError; formatted: (file: string) => string }[] = [
    {
      what: 'a column a model input needs is missing',
      text: good.map((l) => l.split(',').filter((_, i) => i !== 2).join(',')).join('\n'),
      expected: (file) => ({ code: 'E_DATA_MISSING_COLUMN', message: 'model input "num" needs column "x", which the file does not have (its columns: color, shape, y, la, lb); map it in the dataset binding', file, line: 1, column: 'x' }),
      formatted: (file) => `${file}:1: column "x": model input "num" needs column "x", which the file does not have (its columns: color, shape, y, la, lb); map it in the dataset binding`,
    },
    {
      what: 'a column an output label needs is missing',
      text: good.map((l) => l.split(',').slice(0, 5).join(',')).join('\n'),
      expected: (file) => ({ code: 'E_DATA_MISSING_COLUMN', message: 'the label of output "b" needs column "lb", which the file does not have (its columns: color, shape, x, y, la); map it in the dataset binding', file, line: 1, column: 'lb' }),
      formatted: (file) => `${file}:1: column "lb": the label of output "b" needs column "lb", which the file does not have (its columns: color, shape, x, y, la); map it in the dataset binding`,
    },
    {
      what: 'a renamed column is missing from a header-less file',
      text: good.slice(1).join('\n'),
      bind: { header: false, columns: ['color', 'shape', 'x', 'wrong', 'la', 'lb'] },
      expected: (file) => ({ code: 'E_DATA_MISSING_COLUMN', message: 'model input "num" needs column "y", which the file does not have (its columns: color, shape, x, wrong, la, lb); map it in the dataset binding, or name the columns of this header-less file', file, column: 'y' }),
      formatted: (file) => `${file}: column "y": model input "num" needs column "y", which the file does not have (its columns: color, shape, x, wrong, la, lb); map it in the dataset binding, or name the columns of this header-less file`,
    },
    {
      what: 'text in a numeric column',
      text: withLine(4, 'red,circle,abc,0.5,1,1'),
      expected: (file) => ({ code: 'E_DATA_NOT_NUMERIC', message: 'expected a number, got "abc"', file, line: 5, column: 'x' }),
      formatted: (file) => `${file}:5: column "x": expected a number, got "abc"`,
    },
    {
      what: 'a ragged row',
      text: withLine(3, 'red,circle,0.5,0.5,1'),
      expected: (file) => ({ code: 'E_DATA_RAGGED_ROW', message: 'expected 6 fields, got 5', file, line: 4 }),
      formatted: (file) => `${file}:4: expected 6 fields, got 5`,
    },
    {
      what: 'an empty file',
      text: '',
      expected: (file) => ({ code: 'E_DATA_EMPTY', message: 'the file is empty', file }),
      formatted: (file) => `${file}: the file is empty`,
    },
    {
      what: 'a label outside {0,1} for a cross-entropy output',
      text: withLine(6, 'red,circle,0.5,0.5,2,1'),
      expected: (file) => ({ code: 'E_DATA_LABEL_NOT_BINARY', message: 'labels outside {0,1}: got "2"', file, line: 7, column: 'la' }),
      formatted: (file) => `${file}:7: column "la": labels outside {0,1}: got "2"`,
    },
  ];
  it.each(cases)('$what', async ({ what, text, bind, expected, formatted }) => {
    const file = tmp.write(`error-${what.replace(/\W+/g, '-')}.csv`, text);
    const error = await expectError(prepareData(tiny, binding(bind ?? {}), { train: file }, { validation: 0.25, seed: 1 }));
    expect(error).toEqual(expected(file));
    expect(formatDataError(error)).toBe(formatted(file));
  });

  it('checks rows of the validation share too, and a separate validation file', async () => {
    // Every row is checked in the fitting pass, whichever split it falls in.
    const splitter = makeSplitter({ train: 0.5, validation: 0.5 }, 3);
    if (isDataError(splitter)) throw new Error('test bug');
    const validIndex = [0, 1, 2, 3, 4].find((i) => splitter.ofIndex(i) === 'validation');
    if (validIndex === undefined) throw new Error('test bug: no validation row among the first five');
    const file = tmp.write('bad-in-valid.csv', withLine(validIndex + 1, 'red,circle,0.5,oops,1,1'));
    expect(await expectError(prepareData(tiny, binding(), { train: file }, { validation: 0.5, seed: 3 }))).toEqual({ code: 'E_DATA_NOT_NUMERIC', message: 'expected a number, got "oops"', file, line: validIndex + 2, column: 'y' });
    const train = tmp.write('ok-train.csv', good.join('\n'));
    const valid = tmp.write('bad-valid.csv', withLine(2, 'red,circle,0.5,0.5,1,7'));
    expect(await expectError(prepareData(tiny, binding(), { train, valid }, { validation: 0, seed: 1 }))).toEqual({ code: 'E_DATA_LABEL_NOT_BINARY', message: 'labels outside {0,1}: got "7"', file: valid, line: 3, column: 'lb' });
  });
});

describe('train/validation split', () => {
  const file = tmp.write('split.csv', twoTaskCsv(2000, 6));
  const validRowsOf = async (validation: number, seed: number) => {
    const prepared = await prepare(tiny, binding(), { train: file }, { validation, seed });
    return { prepared, x: Array.from(prepared.valid?.inputs[NUM] ?? []) };
  };

  it('is deterministic for a seed, differs between seeds, and respects the ratio within 3.5 standard deviations', async () => {
    const a = await validRowsOf(0.3, 11);
    const b = await validRowsOf(0.3, 11);
    const c = await validRowsOf(0.3, 12);
    expect(b.x).toEqual(a.x);
    expect(c.x).not.toEqual(a.x);
    const sd = Math.sqrt(2000 * 0.3 * 0.7);
    for (const { prepared } of [a, c]) {
      expect(Math.abs((prepared.valid?.rows ?? 0) - 600)).toBeLessThan(3.5 * sd);
      expect(prepared.train.rows + (prepared.valid?.rows ?? 0)).toBe(2000);
    }
  });

  it.each([0.1, 0.5])('holds out about %s of the rows', async (share) => {
    const { prepared } = await validRowsOf(share, 2);
    expect(Math.abs((prepared.valid?.rows ?? 0) / 2000 - share)).toBeLessThan(3.5 * Math.sqrt((share * (1 - share)) / 2000));
  });

  it('a validation share of 0 keeps every row for training, in file order', async () => {
    const { prepared } = await validRowsOf(0, 1);
    expect(prepared.valid).toBeUndefined();
    expect(prepared.train.rows).toBe(2000);
  });
});

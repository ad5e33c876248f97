import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NumericEncoder, NumericStats } from '../../../app/data/encoders';
import { formatDataError, isDataError, type DataError } from '../../../app/data/errors';
import { encodeFile, prepareData } from '../../../app/data/prepare';
import { runTraining } from '../../../app/train/run';
import { binding, compile, tempDir, twoTaskCsv, twoTaskGraph, useBackend } from '../train/helpers';

/**
 * Numbers near the ends of the double range: a column holding 1e154 or more used to fail with
 * "invalid numeric encoder JSON at std: … Infinity" (the squares in the variance overflowed) and no
 * place. Fitting is now finite for every finite input; what cannot be represented is a data error
 * naming file, line and column.
 */
const tmp = tempDir('towerflow-numeric-range-');
beforeAll(async () => useBackend('cpu'));
afterAll(() => tmp.cleanup());

const HUGE = ['1e154', '1e300', '-1e300'];
/** twoTaskCsv with the huge values in column x of its first rows (lines 2, 3, 4). */
const hugeCsv = (rows: number) => twoTaskCsv(rows, 5, (i) => (i < HUGE.length ? { x: HUGE[i] as string } : {}));

const populationStd = (xs: readonly number[], scale: number) => {
  const scaled = xs.map((x) => x / scale);
  const mean = scaled.reduce((a, b) => a + b, 0) / scaled.length;
  return Math.sqrt(scaled.reduce((a, b) => a + (b - mean) ** 2, 0) / scaled.length) * scale;
};

async function errorOf(promise: Promise<unknown>): Promise<DataError> {
  const result = await promise;
  if (!isDataError(result)) throw new Error('expected a DataError');
  return result;
}

describe('numeric statistics near the ends of the double range', () => {
  it.each([
    { what: '1e154, 1e300, -1e300 among small values', values: [1e154, 1e300, -1e300, 1, 2, 3] },
    { what: 'the largest doubles of both signs', values: [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE] },
    { what: 'tiny values after huge ones', values: [1e300, 1e-300, -1e-300, 0] },
    { what: 'ordinary values (unchanged: no scaling below 1)', values: [0.25, 0.5, -0.75, 0.125] },
  ])('$what: a finite mean and std, equal to the two-pass result on scaled values', ({ values }) => {
    const stats = new NumericStats();
    values.forEach((v) => stats.add(v));
    const scale = Math.max(...values.map(Math.abs));
    expect(stats.mean).toSatisfy(Number.isFinite);
    expect(stats.std).toSatisfy(Number.isFinite);
    expect(stats.mean / scale).toBeCloseTo(values.reduce((a, b) => a + b / scale, 0) / values.length, 12);
    expect(stats.std / scale).toBeCloseTo(populationStd(values, scale) / scale, 12);
    const encoder = NumericEncoder.fromStats(stats, false);
    expect(NumericEncoder.fromJSON(encoder.toJSON())).toEqual(encoder);
    for (const v of values) expect(encoder.encode(String(v))).toSatisfy(Number.isFinite);
  });

  it('a CSV with 1e154, 1e300 and -1e300 in a numeric column prepares with finite encoders and trains', async () => {
    const file = tmp.write('huge.csv', hugeCsv(200));
    const compiled = compile(twoTaskGraph());
    try {
      const prepared = await prepareData(compiled, binding(), { train: file }, { validation: 0, seed: 1 });
      if (isDataError(prepared)) throw new Error(formatDataError(prepared));
      const x = Object.values(prepared.encoders.inputs).flatMap((input) => input.encoders.filter((_, i) => input.columns[i] === 'x'))[0];
      expect(x?.type).toBe('numeric');
      if (x?.type !== 'numeric') return;
      expect(x.mean).toSatisfy(Number.isFinite);
      expect(x.std / 1e300).toBeCloseTo(Math.sqrt(2 / 200), 10);
      expect(x.std).toSatisfy(Number.isFinite);
      for (const values of Object.values(prepared.train.inputs)) expect(Array.from(values).every(Number.isFinite)).toBe(true);
    } finally {
      compiled.model.dispose();
    }
    const outcome = await runTraining({
      graph: twoTaskGraph(),
      data: file,
      binding: binding(),
      options: { optimizer: 'adam', learningRate: 0.01, batchSize: 50, epochs: 1, seed: 1 },
      validationShare: 0.25,
      runsDir: tmp.path('runs'),
      backend: 'cpu',
    });
    expect(outcome.ok ? 'trained' : outcome.message).toBe('trained');
  });

  it('a number beyond the double range is a data error with its place, not "expected a number"', async () => {
    const file = tmp.write('overflow.csv', twoTaskCsv(20, 5, (i) => (i === 6 ? { y: '-2e308' } : {})));
    const compiled = compile(twoTaskGraph());
    try {
      const error = await errorOf(prepareData(compiled, binding(), { train: file }, { validation: 0, seed: 1 }));
      expect(error).toEqual({ code: 'E_DATA_NUMBER_OUT_OF_RANGE', message: '"-2e308" is beyond the range of numbers (about ±1.8e308)', file, line: 8, column: 'y' });
      expect(formatDataError(error)).toBe(`${file}:8: column "y": "-2e308" is beyond the range of numbers (about ±1.8e308)`);
    } finally {
      compiled.model.dispose();
    }
  });

  it('a value that standardises beyond the 32-bit floats the model reads is a data error with its place', async () => {
    // Column y is constant in training (std 1), so 1e300 in a later file stays 1e300 once standardised.
    const train = tmp.write('constant-y.csv', twoTaskCsv(20, 5, () => ({ y: '0.5' })));
    const valid = tmp.write('far-y.csv', twoTaskCsv(5, 6, (i) => (i === 3 ? { y: '1e300' } : {})));
    const compiled = compile(twoTaskGraph());
    try {
      const prepared = await prepareData(compiled, binding(), { train }, { validation: 0, seed: 1 });
      if (isDataError(prepared)) throw new Error(formatDataError(prepared));
      const error = await errorOf(encodeFile(compiled, prepared.encoders, binding(), valid, true));
      const message = '"1e300" standardises to 1e+300 (training mean 0.5, std 1), beyond the ±3.4e38 range of the 32-bit floats the model reads';
      expect(error).toEqual({ code: 'E_DATA_NUMBER_OUT_OF_RANGE', message, file: valid, line: 5, column: 'y' });
    } finally {
      compiled.model.dispose();
    }
  });

  it('a regression label beyond the 32-bit float range is a data error with its place', async () => {
    const file = tmp.write('huge-label.csv', twoTaskCsv(10, 5, (i) => (i === 2 ? { la: '1e300' } : {})));
    const compiled = compile(twoTaskGraph({ loss: 'mse', head: 'linear' }));
    try {
      const error = await errorOf(prepareData(compiled, binding(), { train: file }, { validation: 0, seed: 1 }));
      const message = 'the label 1e+300 is beyond the ±3.4e38 range of the 32-bit floats the model trains on';
      expect(error).toEqual({ code: 'E_DATA_NUMBER_OUT_OF_RANGE', message, file, line: 4, column: 'la' });
    } finally {
      compiled.model.dispose();
    }
  });
});

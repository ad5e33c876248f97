import { afterAll, describe, expect, it } from 'vitest';
import { checkLabelRule } from '../../../app/data/labels';
import type { DatasetInspection } from '../../../app/host/contract';
import { inspectDataset } from '../../../app/host/dataset';
import { tempDir, twoTaskGraph } from '../train/helpers';

/**
 * The binding check shown before training (dataset:inspect) reads the label values of the previewed
 * rows: a 0/1 rule on a Female/Male column used to be "found", and training then failed on its first
 * row. Each finding names the output, the rule, the column and example values, and says what to use.
 */
const tmp = tempDir('towerflow-label-check-');
afterAll(() => tmp.cleanup());

/** Rows for twoTaskGraph (outputs a ← la, b ← lb), with the label columns given. */
function csv(name: string, la: readonly string[], lb: readonly string[]): string {
  const lines = ['color,shape,x,y,la,lb', ...la.map((a, i) => `red,${i % 3 ? 'circle' : 'square'},${i / 10},0.5,${a},${lb[i] ?? ''}`)];
  return tmp.write(name, `${lines.join('\n')}\n`);
}

async function problemsOf(file: string, binding: unknown = {}): Promise<string[]> {
  const inspection = (await inspectDataset(file, binding, 20, twoTaskGraph())) as DatasetInspection;
  if (!('columns' in inspection)) throw new Error(`inspect failed: ${JSON.stringify(inspection)}`);
  return inspection.binding?.problems ?? [];
}

const ZERO_ONE = ['0', '1', '1', '0', '1', '0'];

describe('label values checked against their rules in the inspected rows', () => {
  it('0/1 labels that are 0/1 (also written 1.0): no problem', async () => {
    expect(await problemsOf(csv('good.csv', ZERO_ONE, ['1.0', '0', '0', '1', '0.0', '0']))).toEqual([]);
  });

  it('a 0/1 rule on a Female/Male column is a problem naming the column, the rule, the values and the equals to use', async () => {
    const file = csv('sex.csv', ZERO_ONE, ['Female', 'Male', 'Female', 'Female', 'Male', 'Female']);
    expect(await problemsOf(file)).toEqual([
      'the label of output "b" (lb (0/1)) needs 0/1 values, but column "lb" holds "Female", "Male" (first 6 rows); use "equals": "Male" to mark the positives',
    ]);
  });

  it('a 0/1 rule on a column of several text values asks for the value that marks the positives', async () => {
    const file = csv('colors.csv', ZERO_ONE, ['red', 'green', 'red', 'blue', 'red', 'green']);
    expect(await problemsOf(file)).toEqual([
      'the label of output "b" (lb (0/1)) needs 0/1 values, but column "lb" holds "red", "green", "blue" (first 6 rows); use "equals" with the value that marks the positives (e.g. "blue")',
    ]);
  });

  it('a 0/1 rule on ratings suggests atLeast', async () => {
    const file = csv('ratings.csv', ['1', '5', '4', '3', '4', '2'], ZERO_ONE);
    expect(await problemsOf(file)).toEqual([
      'the label of output "a" (la (0/1)) needs 0/1 values, but column "la" holds "4", "1", "5", … (first 6 rows); use "atLeast": 4 (for example) to mark the positives',
    ]);
  });

  it('an equals value that never occurs is a warning: every label would be 0', async () => {
    const file = csv('equals.csv', ZERO_ONE, ['no', 'No', 'no', 'no', 'No', 'no']);
    expect(await problemsOf(file, { labels: { b: { column: 'lb', equals: 'yes' } } })).toEqual([
      'the label of output "b" (lb = "yes") is 0 on every row read: "yes" never occurs in column "lb", which holds "no", "No" (first 6 rows)',
    ]);
  });

  it('atLeast on a text column is a problem', async () => {
    const file = csv('atleast.csv', ZERO_ONE, ZERO_ONE);
    expect(await problemsOf(file, { labels: { b: { column: 'shape', atLeast: 4 } } })).toEqual([
      'the label of output "b" (shape ≥ 4) compares numbers, but column "shape" holds text: "circle", "square" (first 6 rows)',
    ]);
  });

  it('a missing label value is a problem with its line; inside all/any the part that is wrong is named', async () => {
    const file = csv('missing.csv', ['0', '1', '?', '0', '1', '0'], ['F', 'M', 'F', 'F', 'M', 'F']);
    expect(await problemsOf(file, { labels: { a: { all: [{ column: 'la' }, { column: 'lb' }] } } })).toEqual([
      'the label of output "a" (la (0/1) AND lb (0/1)) has no value in column "la" on line 4, and a missing label stops training',
      'the label of output "a" (la (0/1) AND lb (0/1)) needs 0/1 values, but column "lb" holds "F", "M" (first 6 rows); use "equals": "M" to mark the positives',
      'the label of output "b" (lb (0/1)) needs 0/1 values, but column "lb" holds "F", "M" (first 6 rows); use "equals": "M" to mark the positives',
    ]);
  });

  it('checkLabelRule: a numeric (regression) rule on text needs numbers; columns the rows do not have are left to the missing-column check', () => {
    expect(checkLabelRule({ column: 'price', numeric: true }, [{ line: 2, values: { price: 'cheap' } }])).toEqual([
      { column: 'price', message: 'needs numbers, but column "price" holds text: "cheap" (first 1 row)' },
    ]);
    expect(checkLabelRule({ column: 'nope' }, [{ line: 2, values: { other: 'x' } }])).toEqual([]);
  });
});

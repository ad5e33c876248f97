import { describe, expect, it } from 'vitest';
import { inferColumnKind, inferColumnKinds } from '../../../app/data/column-kinds';

const repeat = (values: string[], times: number): string[] => Array.from({ length: times }, () => values).flat();

describe('inferColumnKind', () => {
  it.each([
    ['floats', ['0.5', '1.25', '-3', '1e3', null], 'numeric'],
    ['integers with many distinct values', Array.from({ length: 200 }, (_, i) => String(i)), 'numeric'],
    ['integer codes with few distinct values', repeat(['1', '2', '3'], 40), 'categorical'],
    ['binary flags even in a tiny sample', ['0', '1', '1'], 'categorical'],
    ['integer codes with leading zeros', ['007', '12', '300', '45', '5'], 'categorical'],
    ['phrases with spaces', ['Never married', 'Divorced', 'Married-civilian spouse present'], 'categorical'],
    ['hex ids', ['05db9164', '68fd1e64', '8cf07265'], 'categorical'],
    ['only missing values', [null, null], 'categorical'],
    ['numbers next to text', ['1', '2', 'x'], 'categorical'],
  ] as const)('%s -> %s', (_name, values, kind) => {
    expect(inferColumnKind([...values]).kind).toBe(kind);
  });

  it.each([
    ['pipe-separated genres', ['Comedy|Drama', 'Action', "Children's|Comedy|Animation"], '|'],
    ['space-separated item ids', ['12 7 9', '3', '44 1'], ' '],
    ['comma-separated ids', ['1,2,3', '4', '5,6'], ','],
    ['semicolon-separated ids', ['a1;b2', 'c3;d4'], ';'],
  ] as const)('%s -> idlist with %j', (_name, values, separator) => {
    expect(inferColumnKind([...values])).toMatchObject({ kind: 'idlist', separator });
  });

  it('needs at least 10% of values with several tokens before calling a column an id list', () => {
    const values = [...repeat(['a', 'b', 'c', 'd', 'e'], 4), 'a|b'];
    expect(inferColumnKind(values).kind).toBe('categorical');
    expect(inferColumnKind(values, { minMultiTokenShare: 0.01 })).toMatchObject({ kind: 'idlist', separator: '|' });
  });

  it('lets callers tune the integer-code threshold and override any column', () => {
    const codes = repeat(Array.from({ length: 52 }, (_, i) => String(i)), 30);
    expect(inferColumnKind(codes).kind).toBe('numeric');
    expect(inferColumnKind(codes, { maxCategoricalIntegers: 60 }).kind).toBe('categorical');
    const rows = codes.map((code) => ({ values: { code, name: 'x' } }));
    expect(inferColumnKinds(rows, ['code', 'name'], { code: { kind: 'categorical' } })).toEqual({
      code: { kind: 'categorical', reason: 'set by the user' },
      name: { kind: 'categorical', reason: 'text values' },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { formatDataError, type DataError } from '../../../app/data/errors';
import { isBinaryRule, labelColumns, labelValue, parseLabelRule, type LabelRule } from '../../../app/data/labels';

const row = (values: Record<string, string | null>, line = 7) => ({ line, values });

describe('labelValue', () => {
  it.each<[string, LabelRule, Record<string, string | null>, number]>([
    ['equals, trimmed on both sides', { column: 'income', equals: ' 50000+.' }, { income: '50000+.' }, 1],
    ['equals, other value', { column: 'income', equals: '50000+.' }, { income: '- 50000.' }, 0],
    ['atLeast, above', { column: 'rating', atLeast: 4 }, { rating: '5' }, 1],
    ['atLeast, exactly', { column: 'rating', atLeast: 4 }, { rating: '4.0' }, 1],
    ['atLeast, below', { column: 'rating', atLeast: 4 }, { rating: '3' }, 0],
    ['binary 1', { column: 'click' }, { click: '1' }, 1],
    ['binary 0.0', { column: 'click' }, { click: '0.0' }, 0],
    ['numeric for regression', { column: 'y', numeric: true }, { y: '-2.5' }, -2.5],
    ['all: click and purchase', { all: [{ column: 'click' }, { column: 'buy' }] }, { click: '1', buy: '1' }, 1],
    ['all: click without purchase', { all: [{ column: 'click' }, { column: 'buy' }] }, { click: '1', buy: '0' }, 0],
    ['any: one of two', { any: [{ column: 'click' }, { column: 'buy' }] }, { click: '0', buy: '1' }, 1],
    ['any: none', { any: [{ column: 'click' }, { column: 'buy' }] }, { click: '0', buy: '0' }, 0],
  ])('%s', (_name, rule, values, expected) => {
    expect(labelValue(rule, row(values), 'f.csv')).toBe(expected);
  });

  it.each<[string, LabelRule, Record<string, string | null>, DataError, string]>([
    [
      'labels outside {0,1}',
      { column: 'click' },
      { click: '2' },
      { code: 'E_DATA_LABEL_NOT_BINARY', message: 'labels outside {0,1}: got "2"', file: 'f.csv', line: 7, column: 'click' },
      'f.csv:7: column "click": labels outside {0,1}: got "2"',
    ],
    [
      'text where a number is needed',
      { column: 'rating', atLeast: 4 },
      { rating: 'good' },
      { code: 'E_DATA_NOT_NUMERIC', message: 'expected a numeric label, got "good"', file: 'f.csv', line: 7, column: 'rating' },
      'f.csv:7: column "rating": expected a numeric label, got "good"',
    ],
    [
      'missing label value',
      { column: 'income', equals: '50000+.' },
      { income: null },
      { code: 'E_DATA_MISSING_LABEL', message: 'the label value is missing', file: 'f.csv', line: 7, column: 'income' },
      'f.csv:7: column "income": the label value is missing',
    ],
    [
      'missing column, even when an AND is already decided',
      { all: [{ column: 'click' }, { column: 'purchase' }] },
      { click: '0' },
      { code: 'E_DATA_MISSING_COLUMN', message: 'the label column is not in the table', file: 'f.csv', line: 7, column: 'purchase' },
      'f.csv:7: column "purchase": the label column is not in the table',
    ],
  ])('%s is a DataError', (_name, rule, values, error, text) => {
    const result = labelValue(rule, row(values), 'f.csv');
    expect(result).toEqual(error);
    expect(formatDataError(result as DataError)).toBe(text);
  });
});

describe('label rules as data', () => {
  it('parses valid JSON rules and lists their columns', () => {
    const json = JSON.parse('{"all":[{"column":"click"},{"any":[{"column":"buy"},{"column":"cart","atLeast":1}]}]}') as unknown;
    const rule = parseLabelRule(json) as LabelRule;
    expect(rule).toEqual(json);
    expect(labelColumns(rule)).toEqual(['click', 'buy', 'cart']);
    expect(isBinaryRule(rule)).toBe(true);
    expect(isBinaryRule({ column: 'y', numeric: true })).toBe(false);
  });

  it.each([
    ['unknown key', { column: 'a', equal: 'x' }],
    ['empty column', { column: '' }],
    ['regression inside AND', { all: [{ column: 'y', numeric: true }] }],
    ['empty AND', { all: [] }],
  ])('rejects %s', (_name, json) => {
    expect(parseLabelRule(json)).toMatchObject({ code: 'E_DATA_BAD_LABEL_RULE' });
  });
});

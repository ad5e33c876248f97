import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDataError, isDataError, type DataError } from '../../../app/data/errors';
import {
  collectRows,
  detectNewline,
  detectSeparator,
  looksLikeHeader,
  openTable,
  peekTable,
  requireColumns,
  type Table,
  type TableOptions,
  type TableRow,
} from '../../../app/data/table-reader';
import { CENSUS_COLUMNS, FIXTURES, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function open(file: string, options: TableOptions = {}): Promise<Table> {
  const table = await openTable(file, options);
  if (isDataError(table)) throw new Error(formatDataError(table));
  return table;
}

async function rowsOf(file: string, options: TableOptions = {}): Promise<TableRow[] | DataError> {
  const table = await openTable(file, options);
  return isDataError(table) ? table : collectRows(table);
}

describe('table reader errors', () => {
  const cases: { name: string; file: () => string; options?: TableOptions; error: Omit<DataError, 'file'>; text: string }[] = [
    {
      name: 'file not found',
      file: () => path.join(tmp.dir, 'nope.csv'),
      error: { code: 'E_DATA_FILE_NOT_FOUND', message: 'file not found' },
      text: 'nope.csv: file not found',
    },
    {
      name: 'empty file',
      file: () => tmp.write('empty.csv', ''),
      error: { code: 'E_DATA_EMPTY', message: 'the file is empty' },
      text: 'empty.csv: the file is empty',
    },
    {
      name: 'blank lines only',
      file: () => tmp.write('blank.csv', '\n  \n\r\n'),
      error: { code: 'E_DATA_EMPTY', message: 'the file is empty' },
      text: 'blank.csv: the file is empty',
    },
    {
      name: 'gzip of nothing',
      file: () => tmp.writeGz('empty.gz', ''),
      error: { code: 'E_DATA_EMPTY', message: 'the file is empty' },
      text: 'empty.gz: the file is empty',
    },
    {
      name: 'binary file',
      file: () => tmp.write('image.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])),
      error: { code: 'E_DATA_NOT_TEXT', message: 'not a text table: the first bytes contain binary data' },
      text: 'image.csv: not a text table: the first bytes contain binary data',
    },
    {
      name: 'ragged row',
      file: () => tmp.write('ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n'),
      error: { code: 'E_DATA_RAGGED_ROW', message: 'expected 3 fields, got 2', line: 3 },
      text: 'ragged.csv:3: expected 3 fields, got 2',
    },
    {
      name: 'ragged row after a multi-line quoted field and blank lines',
      file: () => tmp.write('ragged2.csv', 'a,b\n1,"two\nlines"\n\n\n2,3\n4,5,6\n'),
      error: { code: 'E_DATA_RAGGED_ROW', message: 'expected 2 fields, got 3', line: 7 },
      text: 'ragged2.csv:7: expected 2 fields, got 3',
    },
    {
      name: 'ragged row in a CRLF file with a quoted CRLF',
      file: () => tmp.write('ragged3.csv', 'a,b\r\n1,"two\r\nlines"\r\n2\r\n'),
      error: { code: 'E_DATA_RAGGED_ROW', message: 'expected 2 fields, got 1', line: 4 },
      text: 'ragged3.csv:4: expected 2 fields, got 1',
    },
    {
      name: 'ragged row in a gzip file',
      file: () => tmp.writeGz('ragged.tsv', 'x\ty\n1\t2\n3\t4\t5\n'),
      error: { code: 'E_DATA_RAGGED_ROW', message: 'expected 2 fields, got 3', line: 3 },
      text: 'ragged.tsv:3: expected 2 fields, got 3',
    },
    {
      name: 'duplicate header name',
      file: () => tmp.write('dup.csv', 'a,b,a\n1,2,3\n'),
      options: { header: true },
      error: { code: 'E_DATA_DUPLICATE_COLUMN', message: 'column name "a" appears more than once', line: 1, column: 'a' },
      text: 'dup.csv:1: column "a": column name "a" appears more than once',
    },
    {
      name: 'wrong number of column names',
      file: () => tmp.write('names.csv', '1,2,3\n4,5,6\n'),
      options: { header: false, columns: ['x', 'y'] },
      error: { code: 'E_DATA_COLUMN_COUNT', message: '2 column names were given but the first row has 3 fields', line: 1 },
      text: 'names.csv:1: 2 column names were given but the first row has 3 fields',
    },
    {
      name: 'unclosed quote: the place where it opened, not the end of the file',
      file: () => tmp.write('quote.csv', 'a,b\n1,2\n3,  "oops\n4,5\n'),
      error: {
        code: 'E_DATA_UNCLOSED_QUOTE',
        message: 'the quote that opens field 2 here is never closed, so the rest of the file was read into that field',
        line: 3,
        character: 5,
      },
      text: 'quote.csv:3:5: the quote that opens field 2 here is never closed, so the rest of the file was read into that field',
    },
    {
      name: 'unclosed quote after closed, escaped and multi-line quoted fields, past the sniffed rows: with its column',
      file: () => tmp.write('quote-late.csv', `a,b,c\n${'1,"x ""y"" z","two\nlines"\n'.repeat(30)}7,8,"no end\n9,10,11\n`),
      error: {
        code: 'E_DATA_UNCLOSED_QUOTE',
        message: 'the quote that opens field 3 here is never closed, so the rest of the file was read into that field',
        line: 62,
        character: 5,
        column: 'c',
      },
      text: 'quote-late.csv:62:5: column "c": the quote that opens field 3 here is never closed, so the rest of the file was read into that field',
    },
    {
      name: 'unclosed quote in a gzip file with CR line endings',
      file: () => tmp.writeGz('quote-cr.csv', 'a,b\r"1,2\r3,4\r'),
      error: {
        code: 'E_DATA_UNCLOSED_QUOTE',
        message: 'the quote that opens field 1 here is never closed, so the rest of the file was read into that field',
        line: 2,
        character: 1,
      },
      text: 'quote-cr.csv:2:1: the quote that opens field 1 here is never closed, so the rest of the file was read into that field',
    },
    {
      name: 'damaged gzip',
      file: () => tmp.write('broken.csv', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06])),
      error: { code: 'E_DATA_BAD_GZIP', message: 'the gzip data is damaged: unexpected end of file' },
      text: 'broken.csv: the gzip data is damaged: unexpected end of file',
    },
  ];

  it.each(cases)('$name', async ({ file, options, error, text }) => {
    const target = file();
    const result = await rowsOf(target, options);
    expect(result).toEqual({ ...error, file: target });
    expect(formatDataError(result as DataError)).toBe(path.join(tmp.dir, text));
  });

  it('reports a missing column with the header line and the columns present', async () => {
    const table = await open(tmp.write('cols.csv', 'a,b,c\n1,2,3\n'));
    const error = requireColumns(table, ['a', 'price']);
    expect(error).toEqual({
      code: 'E_DATA_MISSING_COLUMN',
      message: 'no such column; the table has: a, b, c',
      file: table.file,
      line: 1,
      column: 'price',
    });
    expect(formatDataError(error as DataError)).toBe(`${table.file}:1: column "price": no such column; the table has: a, b, c`);
    expect(requireColumns(table, ['c', 'a'])).toBeUndefined();
  });

  it('stops at the first ragged row after yielding the good rows before it', async () => {
    const table = await open(tmp.write('stop.csv', 'a,b\n1,2\n3\n5,6\n'));
    const items: (TableRow | DataError)[] = [];
    for await (const item of table.rows()) items.push(item);
    expect(items).toEqual([
      { line: 2, values: { a: '1', b: '2' } },
      { code: 'E_DATA_RAGGED_ROW', message: 'expected 2 fields, got 1', file: table.file, line: 3 },
    ]);
  });
});

describe('table reader parsing', () => {
  it.each([
    ['comma', 'a,b\n1,2\n', ','],
    ['tab', 'a\tb\n1\t2\n', '\t'],
    ['semicolon with decimal commas', 'a;b\n"1,5";2\n3;"4,25"\n', ';'],
    ['pipe', 'a|b|c\n1|2|3\n', '|'],
    ['comma with quoted commas', 'name,city\n"Doe, J",Paris\n"Roe, K",Rome\n', ','],
  ])('detects the %s separator', async (_name, text, separator) => {
    const table = await open(tmp.write(`sep-${_name}.txt`, text));
    expect(table.separator).toBe(separator);
  });

  it('prefers the separator that splits every line the same way', () => {
    expect(detectSeparator('a,b;c\n1,2;3,4\n5;6,7\n', false)).toBe(';');
    expect(detectSeparator('just one column\nvalues\n', false)).toBe(',');
    expect(detectSeparator('a\tb\n1\t2\n3\t', true)).toBe('\t');
    expect(detectSeparator('1;2;3;4', true)).toBe(';');
  });

  it('trims values, maps ? and empty to null, keeps quoted separators and quotes', async () => {
    const rows = await rowsOf(tmp.write('values.csv', 'id, name ,score\n1, "Doe, J" , ?\n2,"say ""hi""",\n 3 ,  x  ,0.5\n'));
    expect(rows).toEqual([
      { line: 2, values: { id: '1', name: 'Doe, J', score: null } },
      { line: 3, values: { id: '2', name: 'say "hi"', score: null } },
      { line: 4, values: { id: '3', name: 'x', score: '0.5' } },
    ]);
  });

  it('counts physical lines across blank lines, quoted newlines and CRLF', async () => {
    const rows = await rowsOf(tmp.write('lines.csv', 'a,b\r\n\r\n1,"x\r\ny\r\nz"\r\n2,3\r\n   \r\n4,5'));
    expect(rows).toEqual([
      { line: 3, values: { a: '1', b: 'x\r\ny\r\nz' } },
      { line: 6, values: { a: '2', b: '3' } },
      { line: 8, values: { a: '4', b: '5' } },
    ]);
  });

  it.each([
    { what: 'CR (classic Mac)', text: 'a,b,c\r1,"x\ry",3\r\r4,5,6\r' },
    { what: 'CR with a UTF-8 BOM and no final newline', text: '\uFEFFa,b,c\r1,"x\ry",3\r\r4,5,6' },
    { what: 'CRLF with a UTF-8 BOM', text: '\uFEFFa,b,c\r\n1,"x\ry",3\r\n\r\n4,5,6\r\n' },
    { what: 'LF', text: 'a,b,c\n1,"x\ry",3\n\n4,5,6\n' },
  ])('reads $what line endings: the header, the rows and their physical lines', async ({ text }) => {
    const rows = await rowsOf(tmp.write('newlines.csv', text));
    expect(rows).toEqual([
      { line: 2, values: { a: '1', b: 'x\ry', c: '3' } },
      { line: text.includes('\n') ? 4 : 5, values: { a: '4', b: '5', c: '6' } },
    ]);
  });

  it('a ragged row in a CR file is reported at its own line', async () => {
    const file = tmp.write('ragged-cr.csv', 'a,b\r1,2\r3\r');
    expect(await rowsOf(file)).toEqual({ code: 'E_DATA_RAGGED_ROW', message: 'expected 2 fields, got 1', file, line: 3 });
  });

  it('detects the newline from the first line ending', () => {
    expect(detectNewline('a,b\r1,2\r', false)).toBe('\r');
    expect(detectNewline('a,b\r\n1,2\r\n', false)).toBe('\n');
    expect(detectNewline('a,b\n1,2\r', false)).toBe('\n');
    expect(detectNewline('a,b', false)).toBe('\n');
    expect(detectNewline('a,b\r', false)).toBe('\r');
    // A CR that ends a cut-off head may be half of a CRLF.
    expect(detectNewline('a,b\r', true)).toBe('\n');
  });

  it('accepts a custom missing marker list', async () => {
    const rows = await rowsOf(tmp.write('na.csv', 'a,b\nNA,?\n'), { missing: ['NA'] });
    expect(rows).toEqual([{ line: 2, values: { a: null, b: '?' } }]);
  });

  it('detects headers from the first rows', () => {
    expect(looksLikeHeader(['user', 'item', 'rating'], [['1', '2', '5']])).toBe(true);
    expect(looksLikeHeader(['73', 'Not in universe'], [['58', 'Private']])).toBe(false);
    expect(looksLikeHeader(['user', 'city'], [['ann', 'Paris'], ['bob', 'Rome']])).toBe(true);
    expect(looksLikeHeader(['a', 'b'], [['a', 'c']])).toBe(false);
    expect(looksLikeHeader(['x', 'x'], [['1', '2']])).toBe(false);
    expect(looksLikeHeader(['x', ''], [['1', '2']])).toBe(false);
  });

  it('names columns c1..cN when there is no header and no names', async () => {
    const table = await open(tmp.write('nohead.csv', '1,2\n3,4\n'));
    expect(table.hasHeader).toBe(false);
    expect(table.columns).toEqual(['c1', 'c2']);
    expect(await collectRows(table)).toEqual([
      { line: 1, values: { c1: '1', c2: '2' } },
      { line: 2, values: { c1: '3', c2: '4' } },
    ]);
  });

  it('uses caller names in place of a header row when header is true', async () => {
    const rows = await rowsOf(tmp.write('rename.csv', 'A,B\n1,2\n'), { header: true, columns: ['x', 'y'] });
    expect(rows).toEqual([{ line: 2, values: { x: '1', y: '2' } }]);
  });

  it('reads gzip by magic bytes, whatever the extension, with the same rows as plain text', async () => {
    const text = readFileSync(path.join(FIXTURES, 'census-income-test-head20.csv'), 'utf8');
    const plain = await rowsOf(tmp.write('census.gz', text), { columns: CENSUS_COLUMNS });
    const zipped = await rowsOf(tmp.writeGz('census.csv', text), { columns: CENSUS_COLUMNS });
    const zippedTable = await open(path.join(tmp.dir, 'census.csv'), { columns: CENSUS_COLUMNS });
    expect(zippedTable.compressed).toBe(true);
    expect(isDataError(plain)).toBe(false);
    expect(zipped).toEqual(plain);
    const rows = plain as TableRow[];
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows[0]?.values).toMatchObject({ age: '38', class_worker: 'Private', education: '1st 2nd 3rd or 4th grade', income_50k: '- 50000.' });
    // Field 26 (mig_chg_msa) is '?' in the first row of the UCI test file.
    expect(rows[0]?.values.mig_chg_msa).toBeNull();
    expect(rows.filter((r) => r.values.income_50k === '50000+.')).toHaveLength(1);
    expect(rows.filter((r) => r.values.marital_stat === 'Never married')).toHaveLength(7);
  });

  it('peeks at the columns and first rows, and shows an error met inside the preview', async () => {
    const file = tmp.write('peek.tsv', 'u\ti\n1\t10\n2\t20\n3\t30\n');
    expect(await peekTable(file, { rows: 2 })).toEqual({
      columns: ['u', 'i'],
      separator: '\t',
      compressed: false,
      hasHeader: true,
      rows: [
        { line: 2, values: { u: '1', i: '10' } },
        { line: 3, values: { u: '2', i: '20' } },
      ],
    });
    const bad = tmp.write('peek-bad.csv', 'a,b\n1,2\n3\n');
    const preview = await peekTable(bad, { rows: 5 });
    expect(preview).toMatchObject({ rows: [{ line: 2, values: { a: '1', b: '2' } }], error: { code: 'E_DATA_RAGGED_ROW', line: 3 } });
  });

  it('can be iterated more than once', async () => {
    const table = await open(tmp.write('twice.csv', 'a\n1\n2\n'));
    expect(await collectRows(table)).toEqual(await collectRows(table));
  });
});

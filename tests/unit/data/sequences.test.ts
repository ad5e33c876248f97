import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDataError, isDataError, type DataError } from '../../../app/data/errors';
import {
  readEventLog,
  sequenceRows,
  writeSequenceRows,
  type BehaviourEvent,
  type SequenceRow,
} from '../../../app/data/sequences';
import { collectRows, openTable } from '../../../app/data/table-reader';
import { SHARED_DATA, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const event = (user: string, item: string, timestamp: number, label = 1): BehaviourEvent => ({ user, item, timestamp, label, line: 0 });

describe('sequenceRows', () => {
  // Out of file order on purpose; i2 and i3 share a timestamp.
  const events = [
    event('A', 'i4', 3, 0),
    event('A', 'i2', 2),
    event('B', 'j1', 5),
    event('A', 'i1', 1),
    event('A', 'i3', 2),
  ];

  it('builds histories strictly before each event, excluding same-timestamp events', () => {
    expect([...sequenceRows(events, { maxLength: 2, testLast: 1 })]).toEqual([
      { user: 'A', history: ['i1'], candidate: 'i2', label: 1, timestamp: 2, split: 'train' },
      { user: 'A', history: ['i1'], candidate: 'i3', label: 1, timestamp: 2, split: 'train' },
      { user: 'A', history: ['i2', 'i3'], candidate: 'i4', label: 0, timestamp: 3, split: 'test' },
    ]);
  });

  it('keeps events without history when minHistory is 0 and skips more with a higher minimum', () => {
    const all = [...sequenceRows(events, { maxLength: 5, minHistory: 0 })];
    expect(all.map((r) => `${r.user}:${r.candidate}:${r.history.join('')}`)).toEqual(['A:i1:', 'A:i2:i1', 'A:i3:i1', 'A:i4:i1i2i3', 'B:j1:']);
    expect([...sequenceRows(events, { maxLength: 5, minHistory: 2 })].map((r) => r.candidate)).toEqual(['i4']);
  });
});

describe('readEventLog', () => {
  it('reads events with a label rule', async () => {
    const file = tmp.write('log.tsv', 'u\ti\tr\tt\n1\t10\t5\t100\n1\t11\t2\t90\n');
    const events = await readEventLog(file, { user: 'u', item: 'i', timestamp: 't', label: { column: 'r', atLeast: 4 } });
    expect(events).toEqual([
      { user: '1', item: '10', timestamp: 100, label: 1, line: 2 },
      { user: '1', item: '11', timestamp: 90, label: 0, line: 3 },
    ]);
  });

  it.each([
    ['text timestamp', 'u,i,t\n1,2,3\n1,3,yesterday\n', 'E_DATA_NOT_NUMERIC', ':3: column "t": expected a numeric timestamp, got "yesterday"'],
    ['missing item', 'u,i,t\n1,?,3\n', 'E_DATA_MISSING_VALUE', ':2: column "i": a value is required here'],
    ['missing column', 'u,item,t\n1,2,3\n', 'E_DATA_MISSING_COLUMN', ':1: column "i": no such column; the table has: u, item, t'],
  ])('reports %s', async (name, text, code, suffix) => {
    const file = tmp.write(`${name}.csv`, text);
    const result = (await readEventLog(file, { user: 'u', item: 'i', timestamp: 't' })) as DataError;
    expect(result.code).toBe(code);
    expect(formatDataError(result)).toBe(file + suffix);
  });
});

describe('writeSequenceRows', () => {
  it('writes a CSV that the table reader reads back, history as a | list', async () => {
    const rows: SequenceRow[] = [
      { user: 'u,1', history: ['a', 'b'], candidate: 'c', label: 1, timestamp: 10, split: 'train' },
      { user: 'u2', history: [], candidate: 'say "x"', label: 0, timestamp: 11, split: 'test' },
    ];
    const file = path.join(tmp.dir, 'seq.csv');
    expect(await writeSequenceRows(rows, file)).toBeUndefined();
    const table = await openTable(file, { missing: [] });
    if (isDataError(table)) throw new Error(table.message);
    expect(await collectRows(table)).toEqual([
      { line: 2, values: { user: 'u,1', history: 'a|b', candidate: 'c', label: '1', timestamp: '10', split: 'train' } },
      { line: 3, values: { user: 'u2', history: '', candidate: 'say "x"', label: '0', timestamp: '11', split: 'test' } },
    ]);
  });

  it('refuses item ids containing the list separator', async () => {
    const file = path.join(tmp.dir, 'bad-seq.csv');
    const rows: SequenceRow[] = [{ user: 'u', history: ['a|b'], candidate: 'c', label: 1, timestamp: 1, split: 'train' }];
    expect(await writeSequenceRows(rows, file)).toMatchObject({ code: 'E_DATA_BAD_ID', line: 2, column: 'history' });
  });
});

describe('MovieLens-100k sequences', () => {
  it('has no future leakage and the independently computed row counts', async () => {
    const file = path.join(SHARED_DATA, 'movielens-100k/u.data.gz');
    const events = await readEventLog(file, {
      header: false,
      columns: ['user', 'item', 'rating', 'timestamp'],
      user: 'user',
      item: 'item',
      timestamp: 'timestamp',
      label: { column: 'rating', atLeast: 4 },
    });
    if (isDataError(events)) throw new Error(formatDataError(events));
    expect(events).toHaveLength(100_000);
    // SOURCE.md: ratings 4 and 5 = 34,174 + 21,201.
    expect(events.filter((e) => e.label === 1)).toHaveLength(55_375);

    // Independent expectations from per-user timestamps only.
    const times = new Map<string, number[]>();
    const ratedAt = new Map<string, number>();
    for (const e of events) {
      (times.get(e.user) ?? times.set(e.user, []).get(e.user)!).push(e.timestamp);
      ratedAt.set(`${e.user}\t${e.item}`, e.timestamp);
    }
    expect(times.size).toBe(943);
    expect(ratedAt.size).toBe(100_000); // each user rates an item once, so (user, item) -> time is exact
    let expectedRows = 0;
    let expectedTestRows = 0;
    for (const list of times.values()) {
      const first = Math.min(...list);
      // With minHistory 1 an event yields a row iff some event of the user is strictly earlier.
      expectedRows += list.filter((t) => t > first).length;
      if (Math.max(...list) > first) expectedTestRows++;
    }

    const maxLength = 50;
    let rows = 0;
    let testRows = 0;
    let leaks = 0;
    let wrongLength = 0;
    for (const row of sequenceRows(events, { maxLength, minHistory: 1, testLast: 1 })) {
      rows++;
      if (row.split === 'test') {
        testRows++;
        expect(row.timestamp).toBe(Math.max(...times.get(row.user)!));
      }
      for (const item of row.history) if (!(ratedAt.get(`${row.user}\t${item}`)! < row.timestamp)) leaks++;
      const earlier = times.get(row.user)!.filter((t) => t < row.timestamp).length;
      if (row.history.length !== Math.min(maxLength, earlier)) wrongLength++;
    }
    expect({ rows, testRows, leaks, wrongLength }).toEqual({ rows: expectedRows, testRows: expectedTestRows, leaks: 0, wrongLength: 0 });
  }, 30_000);
});

/**
 * Behaviour sequences for DIN-style models: each event of an event log becomes a training row
 * (history of the user's earlier items, candidate item, label).
 *
 * Memory: building histories needs every event of a user at hand in time order, and logs are
 * rarely sorted by user, so the whole log is held in memory (about 100 bytes per event:
 * MovieLens-100k is ~10 MB). Rows are then generated lazily and written as a stream.
 * Larger logs should be pre-sorted by user and time and processed user by user.
 */
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notAFile } from '../io/files';
import { dataError, isDataError, showValue, type DataError } from './errors';
import { labelValue, labelColumns, type LabelRule } from './labels';
import { parseNumber } from './numbers';
import { own } from './records';
import { openTable, requireColumns, type TableOptions } from './table-reader';

export interface BehaviourEvent {
  readonly user: string;
  readonly item: string;
  readonly timestamp: number;
  readonly label: number;
  /** Line of the event in its file, for error messages downstream. */
  readonly line: number;
}

export interface EventLogOptions extends TableOptions {
  readonly user: string;
  readonly item: string;
  readonly timestamp: string;
  /** How to derive the label; without one every event is a positive (implicit feedback). */
  readonly label?: LabelRule;
}

export interface SequenceOptions {
  /** Most recent items kept in a history. */
  readonly maxLength: number;
  /** Events with fewer earlier items than this produce no row. Default 1. */
  readonly minHistory?: number;
  /** Each user's last k events (in time order) are marked 'test'; default 0. */
  readonly testLast?: number;
}

export interface SequenceRow {
  readonly user: string;
  /** The user's items strictly before `timestamp`, oldest -> newest, at most maxLength. */
  readonly history: readonly string[];
  readonly candidate: string;
  readonly label: number;
  readonly timestamp: number;
  readonly split: 'train' | 'test';
}

export async function readEventLog(file: string, options: EventLogOptions): Promise<BehaviourEvent[] | DataError> {
  const table = await openTable(file, options);
  if (isDataError(table)) return table;
  const needed = [options.user, options.item, options.timestamp, ...(options.label ? labelColumns(options.label) : [])];
  const absent = requireColumns(table, needed);
  if (absent !== undefined) return absent;

  const events: BehaviourEvent[] = [];
  for await (const row of table.rows()) {
    if (isDataError(row)) return row;
    const { line, values } = row;
    const user = own(values, options.user) ?? null;
    const item = own(values, options.item) ?? null;
    const time = own(values, options.timestamp) ?? null;
    for (const [column, value] of [
      [options.user, user],
      [options.item, item],
      [options.timestamp, time],
    ] as const) {
      if (value === null) return dataError('E_DATA_MISSING_VALUE', 'a value is required here', { file, line, column });
    }
    const timestamp = parseNumber(time as string);
    if (timestamp === undefined) {
      return dataError('E_DATA_NOT_NUMERIC', `expected a numeric timestamp, got ${showValue(time)}`, {
        file,
        line,
        column: options.timestamp,
      });
    }
    const label = options.label ? labelValue(options.label, row, file) : 1;
    if (typeof label !== 'number') return label;
    events.push({ user: user as string, item: item as string, timestamp, label, line });
  }
  return events;
}

/**
 * Side features of items (DIN's category next to the goods id): per item id, one value per feature.
 * A feature is a column of the item file, or the names of the flag columns set to 1 joined with '+'
 * (MovieLens lists a movie's genres as 19 flag columns; "Animation+Children's+Comedy" is one value).
 */
export type ItemFeatureSpec = { readonly column: string } | { readonly flags: readonly string[] };

export interface ItemFeatureOptions extends TableOptions {
  /** The column holding the item id, as in the event log. */
  readonly key: string;
  readonly features: Readonly<Record<string, ItemFeatureSpec>>;
}

export interface ItemFeatures {
  readonly names: readonly string[];
  readonly of: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export async function readItemFeatures(file: string, options: ItemFeatureOptions): Promise<ItemFeatures | DataError> {
  const table = await openTable(file, options);
  if (isDataError(table)) return table;
  const names = Object.keys(options.features);
  const specs = Object.values(options.features);
  const absent = requireColumns(table, [options.key, ...specs.flatMap((f) => ('column' in f ? [f.column] : f.flags))]);
  if (absent !== undefined) return absent;
  const of = new Map<string, Record<string, string>>();
  for await (const row of table.rows()) {
    if (isDataError(row)) return row;
    const { line, values } = row;
    const item = own(values, options.key) ?? null;
    if (item === null) return dataError('E_DATA_MISSING_VALUE', 'an item id is required here', { file, line, column: options.key });
    if (of.has(item)) return dataError('E_DATA_DUPLICATE_ID', `item ${showValue(item)} is listed twice in the item file`, { file, line, column: options.key });
    const record: Record<string, string> = Object.create(null) as Record<string, string>;
    names.forEach((name, i) => {
      const spec = specs[i] as ItemFeatureSpec;
      record[name] = 'column' in spec ? (own(values, spec.column) ?? '?') : spec.flags.filter((flag) => parseNumber(own(values, flag) ?? '0') === 1).join('+') || '?';
    });
    of.set(item, record);
  }
  return { names, of };
}

/**
 * Users in order of first appearance; each user's events by time, ties kept in log order.
 * Events sharing the candidate's timestamp are NOT in its history: with second or day
 * resolution their true order is unknown, and including them would leak the future.
 */
export function* sequenceRows(events: readonly BehaviourEvent[], options: SequenceOptions): Generator<SequenceRow> {
  const minHistory = options.minHistory ?? 1;
  const testLast = options.testLast ?? 0;
  for (const userEvents of groupByUser(events).values()) {
    const ordered = userEvents
      .map((event, order) => ({ event, order }))
      .sort((a, b) => a.event.timestamp - b.event.timestamp || a.order - b.order)
      .map(({ event }) => event);
    let before = 0;
    for (let i = 0; i < ordered.length; i++) {
      const event = ordered[i] as BehaviourEvent;
      if (i > 0 && event.timestamp !== (ordered[i - 1] as BehaviourEvent).timestamp) before = i;
      if (before < minHistory) continue;
      yield {
        user: event.user,
        history: ordered.slice(Math.max(0, before - options.maxLength), before).map((e) => e.item),
        candidate: event.item,
        label: event.label,
        timestamp: event.timestamp,
        split: i >= ordered.length - testLast ? 'test' : 'train',
      };
    }
  }
}

function groupByUser(events: readonly BehaviourEvent[]): Map<string, BehaviourEvent[]> {
  const users = new Map<string, BehaviourEvent[]>();
  for (const event of events) {
    const list = users.get(event.user);
    if (list === undefined) users.set(event.user, [event]);
    else list.push(event);
  }
  return users;
}

export const SEQUENCE_COLUMNS = ['user', 'history', 'candidate', 'label', 'timestamp', 'split'] as const;

/**
 * CSV with a header; `history` is a '|'-separated id list (oldest first), read back by the
 * table reader and an IdListEncoder with separator '|'.
 */
export async function writeSequenceRows(
  rows: Iterable<SequenceRow> | AsyncIterable<SequenceRow>,
  file: string,
  items?: ItemFeatures,
): Promise<DataError | undefined> {
  // Each item feature adds candidate_<name> and history_<name> (aligned with history; '?' where the
  // item file has no such item, which encodes as "missing" and so masks that position downstream).
  const sides = items?.names ?? [];
  const feature = (item: string, name: string) => items?.of.get(item)?.[name] ?? '?';
  let problem: DataError | undefined;
  async function* chunks(): AsyncGenerator<string> {
    let chunk = [...SEQUENCE_COLUMNS, ...sides.flatMap((name) => [`candidate_${name}`, `history_${name}`])].join(',') + '\n';
    let count = 0;
    for await (const row of rows) {
      count++;
      const pipeItem = row.history.find((item) => item.includes('|'));
      if (pipeItem !== undefined) {
        problem = dataError('E_DATA_BAD_ID', `an item id contains the list separator '|': ${showValue(pipeItem)}`, {
          file,
          line: count + 1,
          column: 'history',
        });
        return;
      }
      const sideValues = sides.flatMap((name) => [feature(row.candidate, name), row.history.map((item) => feature(item, name)).join('|')]);
      const pipeFeature = sides.flatMap((name) => row.history.map((item) => feature(item, name))).find((value) => value.includes('|'));
      if (pipeFeature !== undefined) {
        problem = dataError('E_DATA_BAD_ID', `an item feature value contains the list separator '|': ${showValue(pipeFeature)}`, { file, line: count + 1 });
        return;
      }
      chunk +=
        [row.user, row.history.join('|'), row.candidate, String(row.label), String(row.timestamp), row.split, ...sideValues]
          .map(csvField)
          .join(',') + '\n';
      // Batching keeps per-write overhead low without holding more than ~64 KB.
      if (chunk.length > 65536) {
        yield chunk;
        chunk = '';
      }
    }
    yield chunk;
  }
  // Opening a named pipe to write waits for a reader that may never come.
  const kind = await stat(file).then(notAFile, () => undefined);
  if (kind !== undefined) return dataError('E_DATA_NOT_A_FILE', `not a regular file but ${kind}`, { file });
  try {
    await pipeline(Readable.from(chunks()), createWriteStream(file));
  } catch (err) {
    return dataError('E_DATA_WRITE', `cannot write the file: ${(err as Error).message}`, { file });
  }
  return problem;
}

function csvField(value: string): string {
  // The reader trims fields, so values with edge spaces are quoted to keep them intact.
  return /[",\n\r]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

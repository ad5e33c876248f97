import { stat } from 'node:fs/promises';
import type { CompiledGraph } from '../compile/to-tfjs';
import type { EncodedSplit } from '../train/encoded';
import { dataColumnOf, labelRules, type DatasetBinding } from './binding';
import type { IdSeparator } from './column-kinds';
import { FALLBACK, encodeColumnar, prepareColumnar, type ReadOptions } from './columnar';
import {
  HashEncoder, IdListEncoder, IdListGroup, NumericEncoder, NumericStats, VocabularyCounter, VocabularyEncoder, encoderFromJSON,
  type EncoderJSON, type IdEncoder,
} from './encoders';
import { dataError, isDataError, type DataError } from './errors';
import { labelColumns, labelValue, type LabelRule } from './labels';
import { planInputs, type InputPlan } from './feature-plan';
import { autoHashes } from '../nodes/shared/vocab';
import { nameRecord, own } from './records';
import { makeSplitter } from './split';
import { headerLooksLikeData, openTable, type Table, type TableRow } from './table-reader';

/**
 * From data files to encoded splits: pass 1 reads the file once to fit the encoders on the training
 * rows (and to check every label and number), pass 2 encodes every row into typed arrays. Neither
 * pass holds the rows themselves, so files of any length stream. Encoders are fitted on training
 * rows only and saved with the run, so prediction encodes exactly as training did.
 */
export interface FittedEncoders {
  format: 'towerflow.encoders';
  version: 1;
  /** Per model input: the data columns read and one encoder per column. */
  inputs: Record<string, { columns: string[]; encoders: EncoderJSON[] }>;
  labels: Record<string, LabelRule>;
  group?: string;
  /**
   * Sequence inputs whose id lists are encoded together, one behaviour per position (IdListGroup).
   * Absent in runs made before behaviours were kept aligned: their lists are encoded one by one, as they were trained.
   */
  sequences?: string[][];
}

export interface PreparedData {
  train: EncodedSplit;
  valid?: EncodedSplit;
  encoders: FittedEncoders;
  /** Data columns read per model input, for the binding table shown to users. */
  columns: Record<string, string[]>;
}

export interface SplitSpec {
  /** Share of rows held out for validation when there is no validation file. */
  validation: number;
  seed: number;
}

const DEFAULT_SEPARATOR: IdSeparator = '|';

export interface PrepareOptions extends ReadOptions {
  /** Called as each row-by-row pass over a file begins: 'fit' (or counting), then 'encode'. */
  readonly onPass?: (pass: 'fit' | 'encode', file: string) => void | Promise<void>;
}

export async function prepareData(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  binding: DatasetBinding,
  files: { train: string; valid?: string },
  split: SplitSpec,
  options: PrepareOptions = {},
): Promise<PreparedData | DataError> {
  // One byte-level pass where it can (columnar.ts: the same result, bit for bit); the row-by-row
  // passes below where it cannot, and wherever there is an error to report with its place.
  const fast = await prepareColumnar(compiled, binding, files, split, fitEncoders, options);
  if (fast !== FALLBACK) {
    if (isDataError(fast)) return fast;
    return { ...fast, columns: Object.fromEntries(Object.entries(fast.encoders.inputs).map(([name, e]) => [name, e.columns])) };
  }
  const plans = planInputs(compiled);
  const rules = labelRules(compiled, binding);
  const table = await openBound(files.train, binding, plans, rules);
  if (isDataError(table)) return table;
  const validTable = files.valid ? await openBound(files.valid, binding, plans, rules) : undefined;
  if (isDataError(validTable)) return validTable;
  const splitter = validTable ? undefined : makeSplitter({ train: 1 - split.validation, validation: split.validation }, split.seed);
  if (isDataError(splitter)) return splitter;

  // Pass 1: fit on training rows, check every row.
  const counters = new Map<string, VocabularyCounter>();
  const stats = new Map<string, NumericStats>();
  let trainRows = 0;
  let validRows = 0;
  await options.onPass?.('fit', table.file);
  const read = await fileIdentity(table.file);
  if (isDataError(read)) return read;
  const fitError = await forEachRow(table, options.signal, (row, index) => {
    const isTrain = !splitter || splitter.ofIndex(index) === 'train';
    if (isTrain) trainRows++;
    else validRows++;
    for (const plan of plans) {
      if (plan.kind === 'numeric') {
        for (const column of plan.columns) {
          const dataColumn = dataColumnOf(binding, column);
          const value = NumericEncoder.prepare(cell(row, dataColumn), own(binding.features, column)?.log ?? false, { file: table.file, line: row.line, column: dataColumn });
          if (isDataError(value)) return value;
          if (isTrain && value !== null) statsFor(stats, column).add(value);
        }
      } else if (isTrain) {
        const dataColumn = dataColumnOf(binding, plan.column);
        const counter = counters.get(plan.vocab) ?? new VocabularyCounter();
        counters.set(plan.vocab, counter);
        const raw = cell(row, dataColumn);
        if (plan.kind === 'sequence') counter.addIdList(raw, separatorOf(binding, plan.column));
        else counter.add(raw);
      }
    }
    for (const rule of rules.values()) {
      const label = labelValue(rule, row, table.file);
      if (isDataError(label)) return label;
    }
    return undefined;
  });
  if (fitError) return fitError;
  if (trainRows === 0) return dataError('E_DATA_EMPTY', 'no training rows: the file has no data rows, or the validation share takes them all', { file: table.file });

  const encoders = fitEncoders(plans, binding, counters, stats, rules);
  const rowEncoder = makeRowEncoder(compiled, encoders);
  if (isDataError(rowEncoder)) return rowEncoder;

  // Pass 2: encode.
  const train = rowEncoder.allocate(trainRows, rules.size > 0);
  const valid = validTable ? undefined : rowEncoder.allocate(validRows, rules.size > 0);
  const cursor = { train: 0, valid: 0 };
  // Pass 2 must read the file pass 1 read: a file changed between the passes would leave rows
  // unencoded (zeros with label 0), or encode rows the encoders were not fitted on.
  await options.onPass?.('encode', table.file);
  const changed = await checkUnchanged(table.file, read);
  if (changed) return changed;
  const total = trainRows + validRows;
  const encodeError = await forEachRow(table, options.signal, (row, index) => {
    if (index >= total) return fileChanged(table.file, `it has more rows than the ${total} read when fitting`);
    const isTrain = !splitter || splitter.ofIndex(index) === 'train';
    const target = isTrain ? train : (valid as EncodedSplit);
    const at = isTrain ? cursor.train++ : cursor.valid++;
    return rowEncoder.encode(row, table.file, target, at);
  });
  if (encodeError) return encodeError;
  const after = await checkUnchanged(table.file, read);
  if (after) return after;
  if (cursor.train + cursor.valid !== total) return fileChanged(table.file, `it has ${cursor.train + cursor.valid} rows where ${total} were read when fitting`);

  let validSplit = valid;
  if (validTable) {
    const encoded = await encodeTable(validTable, rowEncoder, true, options);
    if (isDataError(encoded)) return encoded;
    validSplit = encoded;
  }
  return {
    train,
    ...(validSplit && validSplit.rows > 0 ? { valid: validSplit } : {}),
    encoders,
    columns: Object.fromEntries(Object.entries(encoders.inputs).map(([name, e]) => [name, e.columns])),
  };
}

/** Encodes a whole file with fitted encoders (prediction, or a separate validation file). */
export async function encodeFile(
  compiled: Pick<CompiledGraph, 'inputs' | 'outputs' | 'validation'>,
  encoders: FittedEncoders,
  binding: DatasetBinding,
  file: string,
  withLabels: boolean,
  options: PrepareOptions = {},
): Promise<EncodedSplit | DataError> {
  const fast = await encodeColumnar(compiled, encoders, binding, file, withLabels, options);
  if (fast !== FALLBACK) return fast;
  const rowEncoder = makeRowEncoder(compiled, encoders);
  if (isDataError(rowEncoder)) return rowEncoder;
  const rules = withLabels ? new Map(Object.entries(encoders.labels)) : new Map<string, LabelRule>();
  const table = await openBound(file, binding, planInputs(compiled), rules, encoders);
  if (isDataError(table)) return table;
  return encodeTable(table, rowEncoder, withLabels, options);
}

async function encodeTable(table: Table, rowEncoder: RowEncoder, withLabels: boolean, options: PrepareOptions = {}): Promise<EncodedSplit | DataError> {
  let rows = 0;
  await options.onPass?.('fit', table.file);
  const read = await fileIdentity(table.file);
  if (isDataError(read)) return read;
  const countError = await forEachRow(table, options.signal, () => {
    rows++;
    return undefined;
  });
  if (countError) return countError;
  const split = rowEncoder.allocate(rows, withLabels);
  await options.onPass?.('encode', table.file);
  const changed = await checkUnchanged(table.file, read);
  if (changed) return changed;
  let encoded = 0;
  const error = await forEachRow(table, options.signal, (row, index) => {
    if (index >= rows) return fileChanged(table.file, `it has more rows than the ${rows} counted first`);
    encoded++;
    return rowEncoder.encode(row, table.file, split, index, withLabels);
  });
  if (error) return error;
  const after = await checkUnchanged(table.file, read);
  if (after) return after;
  return encoded === rows ? split : fileChanged(table.file, `it has ${encoded} rows where ${rows} were counted first`);
}

/**
 * What says a file is the one read before: size, modification and change times, inode. Writing in
 * place changes the times; replacing the file by a rename changes the inode.
 */
async function fileIdentity(file: string): Promise<string | DataError> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.size}:${info.mtimeNs}:${info.ctimeNs}:${info.ino}:${info.dev}`;
  } catch (error) {
    return dataError('E_DATA_READ', `cannot read the file: ${(error as Error).message}`, { file });
  }
}

async function checkUnchanged(file: string, before: string): Promise<DataError | undefined> {
  const now = await fileIdentity(file);
  if (isDataError(now)) return now;
  return now === before ? undefined : fileChanged(file, 'its size or modification time is not what it was when reading began');
}

const fileChanged = (file: string, why: string): DataError =>
  dataError('E_DATA_FILE_CHANGED', `the file changed while it was being read (${why}); nothing was trained on it: read it again once it is no longer being written`, { file });

/** Encodes rows into splits with fitted encoders: training, prediction and runs:inspect all encode through it. */
export interface RowEncoder {
  allocate(rows: number, withLabels: boolean): EncodedSplit;
  encode(row: TableRow, file: string, split: EncodedSplit, at: number, withLabels?: boolean): DataError | undefined;
}

export function makeRowEncoder(compiled: Pick<CompiledGraph, 'inputs'>, fitted: FittedEncoders): RowEncoder | DataError {
  type Built = { name: string; width: number; dtype: 'int32' | 'float32'; columns: string[]; encoders: ReturnType<typeof encoderFromJSON>[]; grouped: boolean };
  const built: Built[] = [];
  for (const spec of compiled.inputs) {
    const entry = own(fitted.inputs, spec.name);
    if (!entry) return dataError('E_DATA_BAD_ENCODER_JSON', `the saved encoders have nothing for model input "${spec.name}"; the graph changed since training`);
    const encoders = entry.encoders.map(encoderFromJSON);
    const bad = encoders.find(isDataError);
    if (bad) return bad;
    built.push({ name: spec.name, width: spec.shape.reduce((a, b) => a * b, 1), dtype: spec.dtype, columns: entry.columns, encoders, grouped: false });
  }
  const sequenceGroups: { group: IdListGroup; members: Built[] }[] = [];
  for (const names of fitted.sequences ?? []) {
    const members = names.map((name) => built.find((b) => b.name === name));
    const bad = names.find((name, i) => {
      const member = members[i];
      return member === undefined || member.grouped || !(member.encoders[0] instanceof IdListEncoder);
    });
    if (bad !== undefined || members.length < 2) {
      return dataError('E_DATA_BAD_ENCODER_JSON', `the saved encoders group ${JSON.stringify(names)} as one behaviour sequence, but ${bad === undefined ? 'a group needs two lists' : `"${bad}" is not a model input encoded as an id list, or is in two groups`}`);
    }
    for (const member of members as Built[]) member.grouped = true;
    sequenceGroups.push({ group: new IdListGroup((members as Built[]).map((m) => m.encoders[0] as IdListEncoder)), members: members as Built[] });
  }
  const labelNames = Object.keys(fitted.labels);
  const groups = new Map<string, number>();
  return {
    allocate: (rows, withLabels) => ({
      rows,
      inputs: Object.fromEntries(built.map((b) => [b.name, b.dtype === 'int32' ? new Int32Array(rows * b.width) : new Float32Array(rows * b.width)])),
      labels: withLabels ? Object.fromEntries(labelNames.map((n) => [n, new Float32Array(rows)])) : {},
      ...(fitted.group ? { groups: new Int32Array(rows) } : {}),
    }),
    encode: (row, file, split, at, withLabels = true) => {
      for (const { group, members } of sequenceGroups) {
        const error = group.encode(
          members.map((m) => cell(row, m.columns[0] as string)),
          members.map((m) => split.inputs[m.name] as Int32Array),
          members.map((m) => at * m.width),
          { file, line: row.line, columns: members.map((m) => m.columns[0] as string) },
        );
        if (error) return error;
      }
      for (const b of built) {
        if (b.grouped) continue;
        const out = split.inputs[b.name] as Int32Array | Float32Array;
        for (let c = 0; c < b.columns.length; c++) {
          const column = b.columns[c] as string;
          const encoder = b.encoders[c];
          const raw = cell(row, column);
          if (encoder instanceof NumericEncoder) {
            const value = encoder.encode(raw, { file, line: row.line, column });
            if (isDataError(value)) return value;
            out[at * b.width + c] = value;
          } else if (encoder instanceof IdListEncoder) {
            encoder.encode(raw, out as Int32Array, at * b.width);
          } else if (encoder instanceof VocabularyEncoder || encoder instanceof HashEncoder) {
            out[at * b.width + c] = encoder.encode(raw);
          }
        }
      }
      if (withLabels) {
        for (const name of labelNames) {
          const value = labelValue(fitted.labels[name] as LabelRule, row, file);
          if (isDataError(value)) return value;
          (split.labels[name] as Float32Array)[at] = value;
        }
      }
      if (fitted.group && split.groups) {
        const key = cell(row, fitted.group) ?? '';
        let id = groups.get(key);
        if (id === undefined) groups.set(key, (id = groups.size));
        split.groups[at] = id;
      }
      return undefined;
    },
  };
}

export function fitEncoders(
  plans: readonly InputPlan[],
  binding: DatasetBinding,
  counters: Map<string, VocabularyCounter>,
  stats: Map<string, NumericStats>,
  rules: Map<string, LabelRule>,
): FittedEncoders {
  const ids = new Map<string, IdEncoder>();
  const idEncoder = (plan: Extract<InputPlan, { vocab: string }>): IdEncoder => {
    const known = ids.get(plan.vocab);
    if (known) return known;
    const options = own(binding.features, plan.column);
    // A table shared by a fixed-size input and an auto one takes the fixed size, so both agree.
    const sizing = plans.find((p): p is Extract<InputPlan, { vocab: string }> => p.kind !== 'numeric' && p.vocab === plan.vocab && p.vocabSize !== 'auto') ?? plan;
    const counts = counters.get(plan.vocab) ?? new VocabularyCounter();
    const minFrequency = options?.minFrequency ? { minFrequency: options.minFrequency } : {};
    let encoder: IdEncoder;
    if (sizing.vocabSize === 'auto') {
      const vocabulary = VocabularyEncoder.fromCounts(counts, minFrequency);
      encoder = options?.encoding === 'hash' || autoHashes(vocabulary.values.length, sizing.maxVocabSize) ? new HashEncoder(sizing.maxVocabSize) : vocabulary;
    } else {
      encoder = options?.encoding === 'hash' ? new HashEncoder(sizing.vocabSize) : VocabularyEncoder.fromCounts(counts, { tableSize: sizing.vocabSize, ...minFrequency });
    }
    ids.set(plan.vocab, encoder);
    return encoder;
  };
  const inputs = nameRecord<FittedEncoders['inputs'][string]>();
  for (const plan of plans) {
    if (plan.kind === 'numeric') {
      inputs[plan.spec.name] = {
        columns: plan.columns.map((c) => dataColumnOf(binding, c)),
        encoders: plan.columns.map((c) => NumericEncoder.fromStats(statsFor(stats, c), own(binding.features, c)?.log ?? false).toJSON()),
      };
    } else if (plan.kind === 'sequence') {
      const encoder = new IdListEncoder(idEncoder(plan), separatorOf(binding, plan.column), plan.maxLength);
      inputs[plan.spec.name] = { columns: [dataColumnOf(binding, plan.column)], encoders: [encoder.toJSON()] };
    } else {
      inputs[plan.spec.name] = { columns: [dataColumnOf(binding, plan.column)], encoders: [idEncoder(plan).toJSON()] };
    }
  }
  const sequences = new Map<string, string[]>();
  for (const plan of plans) {
    if (plan.kind === 'sequence' && plan.group !== undefined) sequences.set(plan.group, [...(sequences.get(plan.group) ?? []), plan.spec.name]);
  }
  return {
    format: 'towerflow.encoders',
    version: 1,
    inputs,
    labels: Object.fromEntries(rules),
    ...(binding.group ? { group: binding.group } : {}),
    ...(sequences.size > 0 ? { sequences: [...sequences.values()] } : {}),
  };
}

/** Opens a file with the binding's table options and checks every needed column is there. */
async function openBound(
  file: string,
  binding: DatasetBinding,
  plans: readonly InputPlan[],
  rules: Map<string, LabelRule>,
  fitted?: FittedEncoders,
): Promise<Table | DataError> {
  const table = await openTable(file, { header: binding.header, ...(binding.columns ? { columns: binding.columns } : {}) });
  if (isDataError(table)) return table;
  const have = new Set(table.columns);
  const needs: { column: string; why: string }[] = [];
  for (const plan of plans) {
    const graphColumns = plan.kind === 'numeric' ? plan.columns : [plan.column];
    graphColumns.forEach((graphColumn, i) => {
      const column = own(fitted?.inputs, plan.spec.name)?.columns[i] ?? dataColumnOf(binding, graphColumn);
      needs.push({ column, why: `model input "${plan.spec.name}"` });
    });
  }
  for (const [output, rule] of rules) for (const column of labelColumns(rule)) needs.push({ column, why: `the label of output "${output}"` });
  if (binding.group) needs.push({ column: binding.group, why: 'the GAUC group' });
  const missing = needs.find((n) => !have.has(n.column));
  if (missing) {
    const asData = table.hasHeader ? headerLooksLikeData(table.columns) : undefined;
    const advice =
      asData !== undefined
        ? `line 1, taken as the header, looks like data: ${asData}; for a file without a header row, set "header": false and name the columns with "columns"`
        : `map it in the dataset binding${table.hasHeader ? '' : ', or name the columns of this header-less file'}`;
    const shown = table.columns.length > 12 ? `${table.columns.slice(0, 12).join(', ')}, …` : table.columns.join(', ');
    return dataError(
      'E_DATA_MISSING_COLUMN',
      `${missing.why} needs column "${missing.column}", which the file does not have (its columns: ${shown}); ${advice}`,
      // With a header row, line 1 is where the column was looked for.
      { file, ...(table.hasHeader ? { line: 1 } : {}), column: missing.column },
    );
  }
  return table;
}

async function forEachRow(table: Table, signal: AbortSignal | undefined, visit: (row: TableRow, index: number) => DataError | undefined): Promise<DataError | undefined> {
  let index = 0;
  for await (const row of table.rows()) {
    if (signal?.aborted) return dataError('E_CANCELLED', 'reading the data was cancelled', { file: table.file });
    if (isDataError(row)) return row;
    const error = visit(row, index++);
    if (error) return error;
  }
  return undefined;
}

function statsFor(stats: Map<string, NumericStats>, column: string): NumericStats {
  const existing = stats.get(column);
  if (existing) return existing;
  const created = new NumericStats();
  stats.set(column, created);
  return created;
}

const cell = (row: TableRow, column: string): string | null => own(row.values, column) ?? null;

const separatorOf = (binding: DatasetBinding, column: string): IdSeparator =>
  (own(binding.features, column)?.separator as IdSeparator | undefined) ?? DEFAULT_SEPARATOR;

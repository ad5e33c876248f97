import { formatDataError, isDataError, type DataError } from '../data/errors';
import { readEventLog, readItemFeatures, sequenceRows, writeSequenceRows, type ItemFeatureSpec, type ItemFeatures, type SequenceRow } from '../data/sequences';
import { intOption, numberOption, parseCommandArgs } from './args';
import { EXIT, UsageError, type Command } from './io';

export const sequencesCommand: Command = {
  name: 'sequences',
  usage: `sequences <events> --out <train.csv> [--test-out <test.csv> --test-last K] [options]
                                        Behaviour sequences for DIN: each event becomes a row with the user's
                                        previous items (never later ones) as a '|'-separated history.
      --columns user,item,rating,timestamp (names for a header-less file)  --user C --item C --time C
      --label-column C --label-at-least X (e.g. rating ≥ 4; default: every event is a positive)
      --max-length N (20)  --min-history N (1)
      --items FILE: item side features (DIN's category), written as candidate_<f> and history_<f>
        --item-key C (the item id column; default: --item)  --item-columns a,b,… (names, header-less file)
        --item-feature f=C (a column)  --item-flags f=C1,C2,… (the names of the flag columns set to 1,
        joined with '+', e.g. MovieLens genres); both may be repeated`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'test-out': { type: 'string' },
        'test-last': { type: 'string' },
        columns: { type: 'string' },
        user: { type: 'string', default: 'user' },
        item: { type: 'string', default: 'item' },
        time: { type: 'string', default: 'timestamp' },
        'label-column': { type: 'string' },
        'label-at-least': { type: 'string' },
        'max-length': { type: 'string' },
        'min-history': { type: 'string' },
        items: { type: 'string' },
        'item-key': { type: 'string' },
        'item-columns': { type: 'string' },
        'item-feature': { type: 'string', multiple: true },
        'item-flags': { type: 'string', multiple: true },
      },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('expected exactly one event log file');
    if (values.out === undefined) throw new UsageError('--out <file.csv> is required');
    const testLast = intOption('test-last', values['test-last'], 0, 0, 1000);
    if (testLast > 0 && values['test-out'] === undefined) throw new UsageError('--test-last needs --test-out <file.csv> for the held-out rows');
    const labelColumn = values['label-column'];
    const atLeast = values['label-at-least'];
    if (atLeast !== undefined && labelColumn === undefined) throw new UsageError('--label-at-least needs --label-column');
    const label = labelColumn === undefined ? undefined : atLeast === undefined ? { column: labelColumn } : { column: labelColumn, atLeast: numberOption('label-at-least', atLeast, 0, -1e12, 1e12) };
    const columns = values.columns?.split(',').map((c) => c.trim());
    const items = await itemFeatures(values, values.item);
    if (isDataError(items)) {
      io.err(formatDataError(items));
      return EXIT.badInput;
    }
    const events = await readEventLog(file, {
      user: values.user,
      item: values.item,
      timestamp: values.time,
      ...(label ? { label } : {}),
      ...(columns ? { columns, header: false } : {}),
    });
    if (isDataError(events)) {
      io.err(formatDataError(events));
      return EXIT.badInput;
    }
    const options = { maxLength: intOption('max-length', values['max-length'], 20, 1, 10_000), minHistory: intOption('min-history', values['min-history'], 1, 0, 10_000), testLast };
    const counts = { train: 0, test: 0 };
    const only = function* (split: SequenceRow['split']) {
      for (const row of sequenceRows(events, options)) {
        if (row.split !== split) continue;
        counts[split]++;
        yield row;
      }
    };
    const trainError = await writeSequenceRows(only('train'), values.out, items);
    if (trainError) {
      io.err(formatDataError(trainError));
      return EXIT.badInput;
    }
    if (values['test-out'] !== undefined) {
      const testError = await writeSequenceRows(only('test'), values['test-out'], items);
      if (testError) {
        io.err(formatDataError(testError));
        return EXIT.badInput;
      }
    }
    io.out(`read ${events.length} events; wrote ${counts.train} rows to ${values.out}${values['test-out'] ? ` and ${counts.test} to ${values['test-out']}` : ''}`);
    return EXIT.ok;
  },
};

/** The --items options as item features, or undefined without --items. */
async function itemFeatures(
  values: { items?: string | undefined; 'item-key'?: string | undefined; 'item-columns'?: string | undefined; 'item-feature'?: string[] | undefined; 'item-flags'?: string[] | undefined },
  itemColumn: string,
): Promise<ItemFeatures | DataError | undefined> {
  const given = [...(values['item-feature'] ?? []).map((v) => ['item-feature', v] as const), ...(values['item-flags'] ?? []).map((v) => ['item-flags', v] as const)];
  if (values.items === undefined) {
    if (given.length || values['item-key'] !== undefined || values['item-columns'] !== undefined) throw new UsageError('--item-feature, --item-flags, --item-key and --item-columns need --items <file>');
    return undefined;
  }
  if (!given.length) throw new UsageError('--items needs at least one --item-feature f=column or --item-flags f=col1,col2,…');
  const features: Record<string, ItemFeatureSpec> = Object.create(null) as Record<string, ItemFeatureSpec>;
  for (const [option, value] of given) {
    const match = /^([A-Za-z_][\w-]*)=(.+)$/.exec(value);
    if (!match) throw new UsageError(`--${option} ${value}: expected name=${option === 'item-flags' ? 'col1,col2,…' : 'column'}`);
    const [, name, rest] = match as unknown as [string, string, string];
    if (name in features) throw new UsageError(`--${option} ${value}: feature "${name}" is given twice`);
    features[name] = option === 'item-flags' ? { flags: rest.split(',').map((c) => c.trim()) } : { column: rest.trim() };
  }
  const columns = values['item-columns']?.split(',').map((c) => c.trim());
  return readItemFeatures(values.items, { key: values['item-key'] ?? itemColumn, features, ...(columns ? { columns, header: false } : {}) });
}

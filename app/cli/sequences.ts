import { formatDataError, isDataError } from '../data/errors';
import { readEventLog, sequenceRows, writeSequenceRows, type SequenceRow } from '../data/sequences';
import { intOption, numberOption, parseCommandArgs } from './args';
import { EXIT, UsageError, type Command } from './io';

export const sequencesCommand: Command = {
  name: 'sequences',
  usage: `sequences <events> --out <train.csv> [--test-out <test.csv> --test-last K] [options]
                                        Behaviour sequences for DIN: each event becomes a row with the user's
                                        previous items (never later ones) as a '|'-separated history.
      --columns user,item,rating,timestamp (names for a header-less file)  --user C --item C --time C
      --label-column C --label-at-least X (e.g. rating ≥ 4; default: every event is a positive)
      --max-length N (20)  --min-history N (1)`,
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
    const trainError = await writeSequenceRows(only('train'), values.out);
    if (trainError) {
      io.err(formatDataError(trainError));
      return EXIT.badInput;
    }
    if (values['test-out'] !== undefined) {
      const testError = await writeSequenceRows(only('test'), values['test-out']);
      if (testError) {
        io.err(formatDataError(testError));
        return EXIT.badInput;
      }
    }
    io.out(`read ${events.length} events; wrote ${counts.train} rows to ${values.out}${values['test-out'] ? ` and ${counts.test} to ${values['test-out']}` : ''}`);
    return EXIT.ok;
  },
};

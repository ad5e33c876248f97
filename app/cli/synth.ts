import { mmoeSynthetic } from '../data/synthetic';
import { intOption, numberOption, parseCommandArgs } from './args';
import { writeOutputFile } from './output-file';
import { EXIT, UsageError, type Command } from './io';

export const synthCommand: Command = {
  name: 'synth',
  usage: 'synth mmoe --correlation P --rows N [--seed S] [--dim D] --out <file.csv>\n                                        The MMoE paper\'s synthetic two-task regression data (x0.., y1, y2).',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { correlation: { type: 'string' }, rows: { type: 'string' }, seed: { type: 'string' }, dim: { type: 'string' }, out: { type: 'string' } },
    });
    if (positionals[0] !== 'mmoe' || positionals.length !== 1) throw new UsageError('the only synthetic data set is "mmoe": towerflow synth mmoe --correlation 0.5 --rows 10000 --out data.csv');
    if (values.correlation === undefined) throw new UsageError('--correlation P (between -1 and 1) is required');
    if (values.out === undefined) throw new UsageError('--out <file.csv> is required');
    const data = mmoeSynthetic({
      p: numberOption('correlation', values.correlation, 1, -1, 1),
      n: intOption('rows', values.rows, 10_000, 1, 10_000_000),
      seed: intOption('seed', values.seed, 1, 0, 2 ** 31 - 1),
      d: intOption('dim', values.dim, 100, 2, 10_000),
    });
    const header = [...Array.from({ length: data.d }, (_, i) => `x${i}`), 'y1', 'y2'].join(',');
    const lines = [header];
    for (let r = 0; r < data.n; r++) {
      const x = Array.from(data.x.subarray(r * data.d, (r + 1) * data.d), (v) => v.toPrecision(6));
      lines.push([...x, (data.y1[r] as number).toPrecision(7), (data.y2[r] as number).toPrecision(7)].join(','));
    }
    if (!(await writeOutputFile(values.out, `${lines.join('\n')}\n`, io))) return EXIT.badInput;
    io.out(`wrote ${data.n} rows × ${data.d} features (task correlation p = ${values.correlation}) to ${values.out}`);
    return EXIT.ok;
  },
};

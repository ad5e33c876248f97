import { resolve } from 'node:path';
import { reproduce } from '../reproduce/run';
import { parseCommandArgs } from './args';
import { EXIT, type Command } from './io';

export const reproduceCommand: Command = {
  name: 'reproduce',
  usage: `reproduce [study…] [--quick] [--out DIR] [--data DIR]
                                        Re-run the papers' experiments (mmoe-synthetic, census, din, esmm) and
                                        write DIR/results.md with tables and SVG plots (default docs/).`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, data: { type: 'string', default: '../shared/data' } },
    });
    const outDir = values.out ?? (values.quick ? 'test-output/reproduce-quick' : 'docs');
    const outcome = await reproduce({
      root: process.cwd(),
      dataDir: resolve(values.data),
      outDir,
      quick: values.quick,
      only: positionals,
      log: (line) => io.out(line),
    });
    if ('error' in outcome) {
      io.err(outcome.error);
      return EXIT.badInput;
    }
    io.out(`wrote ${outcome.file} (${outcome.studies.join(', ')})`);
    return EXIT.ok;
  },
};

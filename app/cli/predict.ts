import { loadRun, predictFile } from '../train/run';
import { chooseBackend, NODE_BACKENDS } from '../engine/backend';
import { choiceOption, parseCommandArgs } from './args';
import { writeOutputFile } from './output-file';
import { EXIT, UsageError, type Command } from './io';

export const predictCommand: Command = {
  name: 'predict',
  usage: 'predict <run-folder> --data <file> [--out preds.csv] [--backend B]\n                                        Predict every output for each row of a file with a trained run.',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { data: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' } },
    });
    const [runDir, ...extra] = positionals;
    if (runDir === undefined || extra.length > 0) throw new UsageError('expected exactly one run folder');
    if (values.data === undefined) throw new UsageError('--data <file> is required');
    const backend = await chooseBackend(values.backend === undefined ? undefined : choiceOption('backend', values.backend, NODE_BACKENDS, 'cpu'));
    if ('error' in backend) {
      io.err(backend.error);
      return EXIT.badInput;
    }
    const run = await loadRun(runDir);
    if ('error' in run) {
      io.err(run.error);
      return EXIT.badInput;
    }
    try {
      const predictions = await predictFile(run, values.data);
      if ('error' in predictions) {
        io.err(predictions.error);
        return EXIT.badInput;
      }
      const rows = predictions.values[0]?.length ?? 0;
      const lines = [predictions.columns.join(',')];
      for (let r = 0; r < rows; r++) lines.push(predictions.values.map((v) => formatNumber(v[r] as number)).join(','));
      const csv = `${lines.join('\n')}\n`;
      if (values.out) {
        if (!(await writeOutputFile(values.out, csv, io))) return EXIT.badInput;
        io.out(`wrote ${rows} predictions of ${predictions.columns.join(', ')} to ${values.out}`);
      } else io.out(csv.trimEnd());
      return EXIT.ok;
    } finally {
      run.model.dispose();
      run.compiled.model.dispose();
    }
  },
};

const formatNumber = (v: number): string => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : String(v));

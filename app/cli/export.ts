import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { generateModelModule } from '../codegen/module';
import { generateTorchPackage } from '../codegen/python/package';
import { openGraphFile, runFolderGraph } from './graph-file';
import { writeOutputFile } from './output-file';
import { towerflowVersion } from './help';
import { formatDiagnostic, hasErrors } from '../validate/diagnostics';
import { parseCommandArgs } from './args';
import { EXIT, UsageError, type CliIO, type Command } from './io';

export const exportCommand: Command = {
  name: 'export',
  usage:
    'export <graph.json> --ts <out.ts> | --torch <dir>\n                                        Write the model as a standalone TypeScript module for tfjs, or as a PyTorch package\n                                        (model.py, data.py, predict.py, train.py, to_towerflow.py; given a run folder: its graph).',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({ args: argv, allowPositionals: true, options: { ts: { type: 'string' }, torch: { type: 'string' } } });
    const [given, ...extra] = positionals;
    if (given === undefined || extra.length > 0) throw new UsageError('expected exactly one graph file');
    const ts = values.ts === '' ? undefined : values.ts;
    const torch = values.torch === '' ? undefined : values.torch;
    if (ts === undefined && torch === undefined) throw new UsageError('expected --ts <out.ts>, the file to write, or --torch <dir>, the folder for the PyTorch package');
    // A run folder stands for the graph it was trained from: the code is the same, weights aside.
    const runGraph = await runFolderGraph(given);
    const file = runGraph ?? given;
    if (runGraph !== undefined) io.out(`${given} is a run folder: exporting its graph ${runGraph} (the trained weights stay in ${join(given, 'model')}, for tf.loadLayersModel)`);

    const opened = await openGraphFile(file, io);
    if (typeof opened === 'number') return opened;
    // Problems print as `validate` prints them; warnings do not stop the export.
    for (const d of opened.diagnostics) (d.severity === 'error' ? io.err : io.out)(formatDiagnostic(d, file));
    if (!opened.graph || hasErrors(opened.diagnostics)) {
      const errors = opened.diagnostics.filter((d) => d.severity === 'error').length;
      io.err(`${file}: ${errors} error${errors === 1 ? '' : 's'}; nothing exported`);
      return EXIT.badInput;
    }

    // The PyTorch package builds the model on tfjs's CPU backend (tfjs_model.json); its "install tfjs-node" banner is noise in an export (serve does the same).
    tf.env().set('PROD', true);
    const version = await towerflowVersion();
    if (ts !== undefined) {
      const generated = await generateModelModule(opened.graph, { towerflowVersion: version });
      if (!generated.ok) {
        for (const d of generated.diagnostics) io.err(formatDiagnostic(d, file));
        return EXIT.badInput;
      }
      if (!(await writeOutputFile(ts, generated.code, io))) return EXIT.badInput;
      report(io, ts, generated.code);
    }
    if (torch !== undefined) {
      const generated = await generateTorchPackage(opened.graph, { towerflowVersion: version });
      if (!generated.ok) {
        for (const d of generated.diagnostics) io.err(formatDiagnostic(d, file));
        return EXIT.badInput;
      }
      try {
        await mkdir(torch, { recursive: true });
      } catch (error) {
        io.err(`${torch}: cannot make the folder (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        return EXIT.badInput;
      }
      for (const [name, text] of Object.entries(generated.files)) {
        if (!(await writeOutputFile(join(torch, name), text, io))) return EXIT.badInput;
      }
      io.out(`wrote ${Object.keys(generated.files).join(', ')} to ${torch}: pip install -r requirements.txt, then python train.py, python predict.py or python to_towerflow.py (see its README.md)`);
    }
    return EXIT.ok;
  },
};

function report(io: CliIO, out: string, code: string): void {
  const lines = code.split('\n').length - 1;
  io.out(`wrote ${out} (${lines} lines): import { buildModel, compileForTraining, INPUTS } from it; needs only @tensorflow/tfjs`);
}

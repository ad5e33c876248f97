import { openGraphFile } from './graph-file';
import { formatDiagnostic, hasErrors } from '../validate/diagnostics';
import { formatSummary, modelSummary } from '../validate/summary';
import { parseCommandArgs } from './args';
import { EXIT, UsageError, type Command } from './io';

export const validateCommand: Command = {
  name: 'validate',
  usage: `validate <graph.json> [--json] [--summary]
                                        Check a model graph; prints each problem with its place. --summary: parameters and
                                        output shape per node (as Keras's model.summary()), totals equal to the built model's.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, summary: { type: 'boolean', default: false } },
    });
    const [file, ...extra] = positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('expected exactly one graph file');
    const opened = await openGraphFile(file, io);
    if (typeof opened === 'number') return opened;
    const failed = hasErrors(opened.diagnostics);
    const summary = values.summary && opened.validation ? modelSummary(opened.validation) : undefined;
    if (values.json) {
      io.out(JSON.stringify({ file, ok: !failed, diagnostics: opened.diagnostics, ...(summary ? { summary } : {}) }, null, 2));
      return failed ? EXIT.badInput : EXIT.ok;
    }
    for (const d of opened.diagnostics) (d.severity === 'error' ? io.err : io.out)(formatDiagnostic(d, file));
    if (summary) io.out(formatSummary(summary));
    const errors = opened.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = opened.diagnostics.length - errors;
    const size = opened.graph ? `${opened.graph.nodes.length} nodes, ${opened.graph.edges.length} edges` : 'not loaded';
    const line = `${file}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${size})`;
    (failed ? io.err : io.out)(line);
    return failed ? EXIT.badInput : EXIT.ok;
  },
};

import { chooseBackend, NODE_BACKENDS, releaseBackend } from '../engine/backend';
import { join } from 'node:path';
import { CVR_ON_CLICKS, EVALUATIONS_FILE, evaluateAndRecord, evaluationJson, isEvaluationError, type EvaluationRecord, type TaskEvaluation } from '../train/evaluate';
import { choiceOption, parseCommandArgs } from './args';
import { EXIT, UsageError, type Command } from './io';

export const evaluateCommand: Command = {
  name: 'evaluate',
  usage: `evaluate <run-folder> --data <file> [--json] [--backend B]
                                        AUC, logloss and GAUC per task of a trained run on a test file;
                                        kept in the run (evaluations.json). ESMM adds CVR AUC on clicked rows.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: { data: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' } },
    });
    const [runDir, ...extra] = positionals;
    if (runDir === undefined || extra.length > 0) throw new UsageError('expected exactly one run folder');
    if (values.data === undefined) throw new UsageError('--data <file> is required');
    const backend = await chooseBackend(values.backend === undefined ? undefined : choiceOption('backend', values.backend, NODE_BACKENDS, 'cpu'));
    if ('error' in backend) {
      io.err(backend.error);
      return EXIT.badInput;
    }
    try {
      const record = await evaluateAndRecord(runDir, values.data);
      if (isEvaluationError(record)) {
        io.err(record.message);
        return EXIT.badInput;
      }
      if (values.json) io.out(JSON.stringify(evaluationJson(record)));
      else io.out(`${evaluationTable(record)}\nkept in ${join(runDir, EVALUATIONS_FILE)}`);
      return EXIT.ok;
    } finally {
      releaseBackend();
    }
  },
};

const cell = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '—');

/** The result as a person reads it: a line per task, then where it was kept. */
export function evaluationTable(record: EvaluationRecord): string {
  const entries = Object.entries(record.tasks);
  const width = Math.max(4, ...entries.map(([name]) => name.length));
  const hasMse = entries.some(([, m]) => m.mse !== undefined);
  const header = ['task'.padEnd(width), 'AUC'.padStart(8), 'GAUC'.padStart(8), 'logloss'.padStart(8), ...(hasMse ? ['MSE'.padStart(8)] : [])].join('  ');
  const line = (name: string, m: TaskEvaluation) =>
    [name.padEnd(width), cell(m.auc).padStart(8), cell(m.gauc).padStart(8), cell(m.logloss).padStart(8), ...(hasMse ? [cell(m.mse).padStart(8)] : [])].join('  ');
  const lines = [`${record.rows} rows of ${record.file}`, header, ...entries.map(([name, m]) => line(name, m))];
  const cvr = record.cvrOnClicks;
  if (cvr) {
    const from = 'output' in cvr.scores ? `output ${cvr.scores.output}` : `${cvr.ctcvr} / ${cvr.ctr}`;
    lines.push(`${CVR_ON_CLICKS}: pCVR (${from}) against ${cvr.ctcvr}'s label on the ${cvr.rows} rows where ${cvr.ctr}'s label is 1`);
  }
  return lines.join('\n');
}

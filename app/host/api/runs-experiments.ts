import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { evaluateAndRecord, isEvaluationError } from '../../train/evaluate';
import { compareRuns, editMeta, runRows, type ParsedRun } from '../../train/run-list';
import { deleteRunFolder, readRunFolder, writeMeta } from '../../train/run-meta';
import { hostError, isHostError, type HostError, type HostRequestParsed, type HostResult } from '../contract';
import { ioError } from '../files';
import { checkTree, type PathGuard } from '../workspace';
import type { RunsExperimentResponses } from './runs-experiments-schema';

/**
 * Handlers of runs-experiments-schema.ts's channels. Paths follow the host's rules: each passes the
 * workspace guard (web mode: E_OUTSIDE_WORKSPACE), and a run folder is checked as a whole before it
 * is read (checkTree: no file in it may link out), as runs:open and runs:inspect do.
 */
export interface RunsExperimentDeps {
  guard: PathGuard;
  /** The runs folder, through the guard (it may have been replaced by a link since the host started). */
  runsFolder: () => Promise<string | HostError>;
  /** Whether a run folder is being trained now (it may not be deleted). */
  isTraining: (dir: string) => boolean;
}

type Handlers = { [C in keyof RunsExperimentResponses]: (request: HostRequestParsed<C>) => Promise<HostResult<RunsExperimentResponses[C]>> };

export function runsExperimentHandlers({ guard, runsFolder, isTraining }: RunsExperimentDeps): Handlers {
  /** A run folder from a request: inside the workspace, nothing in it linking out, and a run. */
  const runFolder = async (dir: string): Promise<ParsedRun | HostError> => {
    const folder = await guard.resolve(dir);
    if (isHostError(folder)) return folder;
    const leaving = await checkTree(guard, folder);
    if (leaving) return leaving;
    return (await readRunFolder(folder)) ?? hostError('E_NOT_A_RUN', `${folder} is not a Towerflow run folder (it has no graph.json)`, folder);
  };

  return {
    'runs:evaluate': async ({ run, data }) => {
      const parsed = await runFolder(run);
      if (isHostError(parsed)) return parsed;
      const file = await guard.resolve(data);
      if (isHostError(file)) return file;
      const record = await evaluateAndRecord(parsed.dir, file);
      if (!isEvaluationError(record)) return record;
      // No output with a label is a fact of the data binding, as a missing label column is.
      return hostError(record.code === 'E_NO_LABELS' ? 'E_DATA' : record.code, record.message, record.where);
    },

    'runs:meta': async ({ dir, edit }) => {
      const parsed = await runFolder(dir);
      if (isHostError(parsed)) return parsed;
      const meta = editMeta(parsed.meta, edit);
      if ('code' in meta) return hostError('E_IPC_ARGUMENT', meta.message, parsed.dir);
      try {
        await writeMeta(parsed.dir, meta);
      } catch (error) {
        return ioError(parsed.dir, error, 'cannot write meta.json');
      }
      return { dir: parsed.dir, meta };
    },

    'runs:delete': async ({ dir }) => {
      const parsed = await runFolder(dir);
      if (isHostError(parsed)) return parsed;
      const folder = await runsFolder();
      if (isHostError(folder)) return folder;
      // Only a run of the runs folder is deleted: a request naming another folder (a graph project
      // that happens to hold a graph.json) must not remove it.
      if (dirname(parsed.dir) !== resolve(folder)) return hostError('E_NOT_A_RUN', `${parsed.dir} is not in the runs folder ${folder}; only runs there are deleted`, parsed.dir);
      if (isTraining(parsed.dir)) return hostError('E_BUSY', `${parsed.id} is training now; stop it before deleting it`, parsed.dir);
      try {
        const refused = await deleteRunFolder(parsed.dir);
        if (refused) return hostError('E_NOT_A_RUN', refused, parsed.dir);
      } catch (error) {
        return ioError(parsed.dir, error, 'cannot delete the run');
      }
      return { deleted: parsed.dir };
    },

    'runs:rows': async () => {
      const folder = await runsFolder();
      if (isHostError(folder)) return folder;
      const names = await readdir(folder, { withFileTypes: true }).then((entries) => entries.filter((e) => e.isDirectory()).map((e) => e.name), () => []);
      const runs = await Promise.all(
        names.map(async (name) => {
          const dir = join(folder, name);
          // As runs:list: a folder with a file linking out of the workspace is left out, not read.
          if (await checkTree(guard, dir, 1)) return undefined;
          return readRunFolder(dir);
        }),
      );
      return { rows: runRows(runs.filter((r): r is ParsedRun => r !== undefined)) };
    },

    'runs:compare': async ({ dirs }) => {
      const runs: ParsedRun[] = [];
      for (const dir of dirs) {
        const parsed = await runFolder(dir);
        if (isHostError(parsed)) return parsed;
        runs.push(parsed);
      }
      const curves: Record<string, ParsedRun['metrics']> = {};
      for (const run of runs) curves[run.id] = run.metrics.filter((m) => m.split === 'valid');
      return { rows: runRows(runs), comparison: compareRuns(runs), curves };
    },
  };
}

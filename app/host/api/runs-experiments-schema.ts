import { z } from 'zod';
import type { EvaluationRecord } from '../../train/evaluate';
import type { RunComparison, RunMeta, RunMetricRow, RunRow } from '../../train/run-list';
import { path } from './fields';

/**
 * Channels of runs as experiments (issue #21 items 1, 2): evaluate a run on a file, name/tag/note
 * it, delete it, compare several. Schemas only (zod, no Node): contract.ts spreads them into its
 * channel table, so the preload and the web server validate them like every other channel. The
 * handlers are in runs-experiments.ts.
 */

export const RUNS_EXPERIMENT_CHANNELS = {
  /** Evaluates the run in `run` (its folder) on the file `data`; the result is appended to its evaluations.json. */
  'runs:evaluate': z.strictObject({ run: path, data: path }),
  /** One edit of the run's meta.json: a name ("" removes it), tags added or removed, a note ("" removes it). */
  'runs:meta': z.strictObject({
    dir: path,
    edit: z.union([
      z.strictObject({ rename: z.string().max(200) }),
      z.strictObject({ tag: z.array(z.string().max(64)).min(1).max(50), remove: z.boolean().optional() }),
      z.strictObject({ note: z.string().max(10_000) }),
    ]),
  }),
  /** Removes a run folder of the runs folder (the UI asks first); a run training now is refused. */
  'runs:delete': z.strictObject({ dir: path }),
  /** The runs folder as `towerflow runs --json` lists it: key figures, name, tags and note per run, newest first. */
  'runs:rows': z.strictObject({}),
  /** Settings and best figures side by side, what each pair differs in, and each run's validation curves. */
  'runs:compare': z.strictObject({ dirs: z.array(path).min(1).max(20) }),
} as const;

export interface RunCompareResponse {
  rows: RunRow[];
  comparison: RunComparison;
  /** Validation metrics per epoch, by run id, for overlaid curves. */
  curves: Record<string, RunMetricRow[]>;
}

export interface RunsExperimentResponses {
  'runs:evaluate': EvaluationRecord;
  'runs:meta': { dir: string; meta: RunMeta };
  'runs:delete': { deleted: string };
  'runs:compare': RunCompareResponse;
  'runs:rows': { rows: RunRow[] };
}

import type { Outcome } from './stats';

/** A study of `towerflow reproduce`: runs through the app's own code and returns its section of docs/results.md. */
export interface StudyContext {
  quick: boolean;
  /** Where the shared data sets are (`../shared/data` from the repository). */
  dataDir: string;
  /** A scratch folder for intermediate files (splits, sequences). */
  workDir: string;
  log(line: string): void;
}

/** A paper's claim as checked by a study: the outcome and the paired statistic behind it. */
export interface Finding {
  claim: string;
  outcome: Outcome;
  /** The paired difference with its interval and tests (describePaired). */
  evidence: string;
}

export interface StudyResult {
  /** The claims checked, for the summary at the top of the report. */
  findings?: Finding[];
  markdown: string;
  figures: { file: string; svg: string }[];
  /** The raw per-run numbers, written next to the report as JSON. */
  table: unknown[];
}

export interface Study {
  id: string;
  title: string;
  run(context: StudyContext): Promise<StudyResult>;
}

/**
 * The Train tab's optional validation file, as pure transitions: the path in the field and what the
 * host's dataset inspection (the same as the data file's, with the same binding) said of it. An
 * answer to an older check is dropped when it comes.
 */
export interface ValidFileState {
  path: string;
  /** Counts every choice of a file; the check re-runs on it. */
  choice: number;
  ticket: number;
  checking: boolean;
  /** How many columns the file has, once it read with the binding. */
  columns?: number;
  error?: string;
}

export const initialValidFile: ValidFileState = { path: '', choice: 0, ticket: 0, checking: false };

export const chooseValidFile = (s: ValidFileState, path: string): ValidFileState => ({ path, choice: s.choice + 1, ticket: s.ticket + 1, checking: false });

export const beginValidCheck = (s: ValidFileState): ValidFileState => ({ ...s, ticket: s.ticket + 1, checking: true });

export function endValidCheck(s: ValidFileState, ticket: number, answer: { columns: number } | { error: string }): ValidFileState {
  if (ticket !== s.ticket) return s;
  const { columns: _c, error: _e, ...rest } = s;
  return { ...rest, checking: false, ...answer };
}

/** Whether the validation share applies: not while a validation file is set. */
export const usesValidFile = (s: ValidFileState): boolean => s.path.trim() !== '';

/** What the host's inspection of the validation file means for the run: a column count, or why it cannot validate. */
export function validCheckOf(
  inspection: { columns: readonly string[]; error?: { message: string }; binding?: { problems: readonly string[] } },
  data: { columns: readonly string[] } | undefined,
): { columns: number } | { error: string } {
  if (inspection.error) return { error: inspection.error.message };
  const problems = inspection.binding?.problems ?? [];
  if (problems.length) return { error: `The binding does not fit it: ${problems.join('; ')}` };
  if (data && data.columns.length !== inspection.columns.length) return { error: `It has ${inspection.columns.length} columns; the data file has ${data.columns.length}.` };
  return { columns: inspection.columns.length };
}

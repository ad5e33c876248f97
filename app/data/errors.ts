/**
 * Data problems are expected outcomes (a user points the tool at a bad file), so they
 * travel as values rather than exceptions. Exceptions are reserved for programming bugs.
 */
export interface DataError {
  /** Stable identifier, e.g. 'E_DATA_MISSING_COLUMN'; UI and tests key on it, never on the text. */
  readonly code: string;
  /** Human text describing what was received and what was expected (location is kept in the fields). */
  readonly message: string;
  readonly file?: string;
  /** 1-based physical line in the (decompressed) file. */
  readonly line?: number;
  /** 1-based character in that line, where the problem is a single spot (an unclosed quote). */
  readonly character?: number;
  readonly column?: string;
}

export interface Location {
  readonly file?: string;
  readonly line?: number;
  readonly character?: number;
  readonly column?: string;
}

export function dataError(code: string, message: string, where: Location = {}): DataError {
  // Only copy defined fields so errors compare cleanly with toEqual and serialise without nulls.
  const error: { -readonly [K in keyof DataError]: DataError[K] } = { code, message };
  if (where.file !== undefined) error.file = where.file;
  if (where.line !== undefined) error.line = where.line;
  if (where.character !== undefined) error.character = where.character;
  if (where.column !== undefined) error.column = where.column;
  return error;
}

export function isDataError(value: unknown): value is DataError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { code?: unknown; message?: unknown };
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/** `file:line[:character]: column "x": message`, dropping the parts that are unknown. */
export function formatDataError(error: DataError): string {
  let prefix = '';
  const at = error.line === undefined ? '' : `${error.line}${error.character !== undefined ? `:${error.character}` : ''}`;
  if (error.file !== undefined) prefix += error.file + (at ? `:${at}` : '') + ': ';
  else if (at) prefix += `line ${at}: `;
  if (error.column !== undefined) prefix += `column ${JSON.stringify(error.column)}: `;
  return prefix + error.message;
}

/** Quote a received value for a message so blanks and odd characters stay visible. */
export function showValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return 'a missing value';
  return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
}

import { stat } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataError, formatDataError, isDataError } from '../data/errors';
import { peekTable } from '../data/table-reader';
import { notAFile } from '../io/files';
import { fittingLayouts, loadLayouts } from '../host/layouts';

/** The shipped bindings (examples/*.binding.json), as the Train tab offers them. */
const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

/**
 * Why a data file given on the command line cannot be read, as the reader would say it
 * (`file: file not found`, `file: not a regular file but a folder`), or undefined. Looked at
 * before anything else starts, so the answer to a typo is not preceded by the engine's lines.
 * stat, not open: opening a named pipe waits for a writer.
 */
export async function dataFileProblem(file: string): Promise<string | undefined> {
  try {
    const kind = notAFile(await stat(file));
    return kind === undefined ? undefined : formatDataError(dataError('E_DATA_NOT_A_FILE', `not a regular file but ${kind}`, { file }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return formatDataError(code === 'ENOENT' ? dataError('E_DATA_FILE_NOT_FOUND', 'file not found', { file }) : dataError('E_DATA_READ', `cannot read the file (${code ?? 'error'})`, { file }));
  }
}

/**
 * `this file looks like census-income; try --binding examples/census-income.binding.json`: the
 * shipped layouts the file fits, by the Train tab's rule (app/host/layouts.ts: a header-less file
 * with as many columns as a header-less layout names, or a header with every column a layout names),
 * or undefined. Said when a run without --binding fails; a file it cannot peek at gets no hint.
 */
export async function layoutHint(file: string, examplesDir = EXAMPLES_DIR): Promise<string | undefined> {
  const preview = await peekTable(file, { rows: 5 });
  if (isDataError(preview)) return undefined;
  const rows = preview.rows.map((row) => preview.columns.map((c) => row.values[c] ?? null));
  const fits = fittingLayouts(await loadLayouts(examplesDir), { hasHeader: preview.hasHeader, columns: preview.columns, rows });
  if (fits.length === 0) return undefined;
  const shown = (path: string) => {
    const near = relative(process.cwd(), path);
    return near.startsWith('..') || isAbsolute(near) ? path : near;
  };
  return `this file looks like ${fits.map((f) => f.id).join(' or ')}; try ${fits.map((f) => `--binding ${shown(f.file)}`).join(' or ')}`;
}

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBinding, type DatasetBinding } from '../data/binding';
import { isDataError } from '../data/errors';
import { labelColumns } from '../data/labels';
import type { KnownLayout } from './contract';
import { readText, safeJson } from './files';

/**
 * Known data layouts: the dataset bindings that ship with the app (examples/*.binding.json — the
 * public data sets the templates are wired for). When an inspected file fits one, the Train tab
 * offers it, so census-income.test.gz, which has no header row, trains with one click instead of a
 * pasted binding. A header-less file fits a layout with the same number of columns; a file with a
 * header fits one whose every named data column (renamed features, label columns) it has.
 */
interface Layout {
  id: string;
  file: string;
  json: unknown;
  binding: DatasetBinding;
}

export async function loadLayouts(dir: string): Promise<Layout[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const layouts: Layout[] = [];
  for (const name of names.filter((n) => n.endsWith('.binding.json')).sort()) {
    const text = await readText(join(dir, name));
    const json = typeof text === 'string' ? safeJson(text) : undefined;
    const binding = json === undefined ? undefined : parseBinding(json, name);
    // A damaged example is left out rather than failing every inspection.
    if (!binding || isDataError(binding)) continue;
    layouts.push({ id: name.slice(0, -'.binding.json'.length), file: join(dir, name), json, binding });
  }
  return layouts;
}

/** The layouts a file fits, given what inspecting it found (columns as read, header or not). */
export function fittingLayouts(layouts: readonly Layout[], file: { hasHeader: boolean; columns: readonly string[] }): KnownLayout[] {
  const present = new Set(file.columns);
  return layouts
    .filter(({ binding }) => {
      if (!file.hasHeader) return binding.header === false && binding.columns?.length === file.columns.length;
      if (binding.header === false) return false;
      const named = [
        ...Object.values(binding.features).flatMap((f) => (f.column ? [f.column] : [])),
        ...Object.values(binding.labels).flatMap(labelColumns),
        ...(binding.group ? [binding.group] : []),
      ];
      return named.length > 0 && named.every((column) => present.has(column));
    })
    .map(({ id, file: path, json, binding }) => ({ id, file: path, columns: binding.columns?.length ?? file.columns.length, binding: json }));
}

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

/**
 * What inspecting a file found: its columns as read, whether row 1 was taken as the header, the
 * first rows, and (given a graph) the graph columns and label columns the file must have.
 */
export interface InspectedFile {
  hasHeader: boolean;
  columns: readonly string[];
  rows?: readonly (readonly (string | null)[])[];
  binding?: { features: readonly { graphColumn: string }[]; labels: readonly { columns: readonly string[] }[] };
}

/**
 * The layouts a file fits. A header-less layout fits a header-less file with as many columns. A
 * layout with a header row fits a file whose header has every column the layout names; a layout
 * that names none (Ali-CCP's columns already carry the graph's names) fits a file whose header has
 * every column the graph reads, offered where the file was read as header-less. The header is matched by its names even where the file was read as
 * header-less: Ali-CCP's names are mostly numbers (`click,purchase,101,121,…`), so header detection
 * takes its first row for data, and the layout's `"header": true` is what sets that right.
 */
export function fittingLayouts(layouts: readonly Layout[], file: InspectedFile): KnownLayout[] {
  const firstRow = file.hasHeader ? file.columns : (file.rows?.[0] ?? []).filter((cell): cell is string => cell !== null);
  const headerNames = new Set(firstRow);
  const graphColumns = file.binding
    ? [...file.binding.features.map((f) => f.graphColumn), ...file.binding.labels.flatMap((l) => l.columns)]
    : [];
  return layouts
    .filter(({ binding }) => {
      if (binding.header === false) return !file.hasHeader && binding.columns?.length === file.columns.length;
      const named = [
        ...Object.values(binding.features).flatMap((f) => (f.column ? [f.column] : [])),
        ...Object.values(binding.labels).flatMap(labelColumns),
        ...(binding.group ? [binding.group] : []),
      ];
      // A layout that names nothing only says "row 1 is the header": worth offering where the file was read without one.
      if (named.length === 0) return !file.hasHeader && graphColumns.length > 0 && graphColumns.every((column) => headerNames.has(column));
      return named.every((column) => headerNames.has(column));
    })
    .map(({ id, file: path, json, binding }) => ({ id, file: path, columns: binding.columns?.length ?? file.columns.length, binding: json }));
}

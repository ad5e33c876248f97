import { readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadGraph } from '../graph/load';
import { parseJsonOrUndefined, readTextFile, writeFileAtomic } from '../io/files';
import { parseEvaluations } from './evaluate';
import { parseBinding } from '../data/binding';
import { isDataError } from '../data/errors';
import { findRun, metaJson, parseMeta, parseMetricRows, type ParsedRun, type RunMeta } from './run-list';
import type { RunSummary } from './run-folder';

/**
 * The IO edge of run-list.ts: run folders read into ParsedRun, meta.json written atomically, a
 * run deleted. A folder is a run when it has graph.json; anything else in the runs folder is left
 * alone (never listed, never deleted).
 */
export const META_FILE = 'meta.json';

const readText = async (path: string): Promise<string | undefined> => {
  const text = await readTextFile(path);
  return typeof text === 'string' ? text : undefined;
};

export async function readRunFolder(dir: string): Promise<ParsedRun | undefined> {
  const [graphText, summaryText, metricsText, metaText, logText, evaluationsText, bindingText] = await Promise.all(
    ['graph.json', 'summary.json', 'metrics.csv', META_FILE, 'log.txt', 'evaluations.json', 'binding.json'].map((name) => readText(join(dir, name))),
  );
  if (graphText === undefined) return undefined;
  const graph = loadGraph(graphText).graph;
  const summary = summaryText === undefined ? undefined : (parseJsonOrUndefined(summaryText) as RunSummary | undefined);
  const createdAt = await stat(join(dir, 'graph.json')).then((s) => s.mtime.toISOString(), () => undefined);
  const lastLogLine = logText?.trimEnd().split('\n').at(-1);
  const evaluations = evaluationsText === undefined ? [] : parseEvaluations(evaluationsText);
  const last = evaluations.at(-1);
  const binding = bindingText === undefined ? undefined : parseBinding(parseJsonOrUndefined(bindingText));
  return {
    id: basename(dir),
    dir: resolve(dir),
    ...(graph ? { graph } : {}),
    ...(summary?.format === 'towerflow.run' ? { summary } : {}),
    ...(binding && !isDataError(binding) ? { binding } : {}),
    metrics: metricsText === undefined ? [] : parseMetricRows(metricsText),
    meta: parseMeta(metaText === undefined ? undefined : parseJsonOrUndefined(metaText)),
    ...(lastLogLine ? { lastLogLine } : {}),
    ...(createdAt ? { createdAt } : {}),
    evaluations: evaluations.length,
    ...(last ? { lastEvaluation: { file: last.file, date: last.date, rows: last.rows, tasks: last.tasks } } : {}),
  };
}

/** Every run folder directly under `runsDir` (none when it does not exist). */
export async function readRunsDir(runsDir: string): Promise<ParsedRun[]> {
  let names: string[];
  try {
    names = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const runs = await Promise.all(names.map((name) => readRunFolder(join(runsDir, name))));
  return runs.filter((r): r is ParsedRun => r !== undefined);
}

/**
 * A run as the CLI names it: a run folder's path, else a folder name, given name or unique prefix
 * among the runs under `runsDir`.
 */
export async function resolveRun(runsDir: string, wanted: string): Promise<ParsedRun | { error: string }> {
  const direct = await stat(join(wanted, 'graph.json')).then(() => true, () => false);
  if (direct) return (await readRunFolder(wanted)) ?? { error: `${wanted} is not a Towerflow run folder` };
  const found = findRun(await readRunsDir(runsDir), wanted);
  return 'error' in found ? { error: `${found.error} in ${runsDir}` } : found;
}

export async function writeMeta(dir: string, meta: RunMeta): Promise<void> {
  await writeFileAtomic(join(dir, META_FILE), metaJson(meta));
}

/** Removes a run folder; refused (a message) for a folder that is not a run, so a typo never deletes another folder. */
export async function deleteRunFolder(dir: string): Promise<string | undefined> {
  if (!(await stat(join(dir, 'graph.json')).then(() => true, () => false))) return `${dir} is not a Towerflow run folder (it has no graph.json); nothing was deleted`;
  await rm(dir, { recursive: true });
  return undefined;
}

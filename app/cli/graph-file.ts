import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openGraphText, type OpenedGraph } from '../graph/open';
import { readTextFile } from '../io/files';
import { EXIT, type CliIO } from './io';

/** Reads and opens a graph file for a command; a file that cannot be read is reported and gives exit 1. */
export async function openGraphFile(file: string, io: CliIO): Promise<OpenedGraph | typeof EXIT.badInput> {
  const text = await readTextFile(file);
  if (typeof text !== 'string') {
    const graph = await runFolderGraph(file);
    io.err(`${file}: ${text.message}${graph === undefined ? '' : `; the graph of this run folder is ${graph}`}`);
    return EXIT.badInput;
  }
  return openGraphText(text);
}

/** `<folder>/graph.json` when `folder` is a folder holding one (a run folder), else undefined. */
export async function runFolderGraph(folder: string): Promise<string | undefined> {
  const graph = join(folder, 'graph.json');
  const [dir, file] = await Promise.all([stat(folder).catch(() => undefined), stat(graph).catch(() => undefined)]);
  return dir?.isDirectory() && file?.isFile() ? graph : undefined;
}

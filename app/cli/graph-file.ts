import { readFile } from 'node:fs/promises';
import { openGraphText, type OpenedGraph } from '../graph/open';
import { errorCode } from '../io/files';
import { EXIT, type CliIO } from './io';

/** Reads and opens a graph file for a command; a file that cannot be read is reported and gives exit 1. */
export async function openGraphFile(file: string, io: CliIO): Promise<OpenedGraph | typeof EXIT.badInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err(`${file}: cannot read the file (${errorCode(error)})`);
    return EXIT.badInput;
  }
  return openGraphText(text);
}

import { errorCode, writeFileAtomic } from '../io/files';
import type { CliIO } from './io';

/**
 * Writes a command's output file atomically (a reader never sees half of it); a failure is reported
 * as `path: cannot write the file (CODE)` and the command exits 1. Returns whether it was written.
 */
export async function writeOutputFile(path: string, text: string, io: CliIO): Promise<boolean> {
  try {
    await writeFileAtomic(path, text);
    return true;
  } catch (error) {
    io.err(`${path}: cannot write the file (${errorCode(error)})`);
    return false;
  }
}

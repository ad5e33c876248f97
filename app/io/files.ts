import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes through a temp file beside the target, then renames it over: a crash or a full disk never
 * leaves a half-written file under the real name. Throws the file system's error (the temp file is
 * removed first); callers turn it into their own error values.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { createFolders?: boolean } = {}): Promise<void> {
  // A random suffix, not just pid + time: two writes in the same millisecond must not share a temp file.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    if (options.createFolders) await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** JSON.parse that answers undefined for text that is not JSON. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The system's error code (ENOENT, EACCES …) or, failing that, the message. */
export const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

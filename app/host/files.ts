import { parseJsonOrUndefined, readTextFile, writeFileAtomic } from '../io/files';
import { hostError, isHostError, type HostError } from './contract';
import type { PathGuard } from './workspace';

/**
 * File helpers of the host: writes are atomic (a temp file beside the target, then rename), so a
 * crash or a full disk never leaves a half-written graph under the real name; read and write
 * failures come back as HostError values naming the path.
 */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<undefined | HostError> {
  try {
    await writeFileAtomic(path, data, { createFolders: true });
    return undefined;
  } catch (error) {
    return ioError(path, error, 'cannot write');
  }
}

/**
 * Every text file the host reads comes through here (app/io/files.ts readTextFile): opened without
 * blocking and looked at first, so a named pipe, a device or a folder is refused with what it is
 * (E_NOT_A_FILE) instead of stalling the call for ever. `maxLinks` as there.
 */
export async function readText(path: string, options: { maxLinks?: number } = {}): Promise<string | HostError> {
  const text = await readTextFile(path, options);
  if (typeof text === 'string') return text;
  if (text.code === 'ENOENT') return hostError('E_NOT_FOUND', `${path}: no such file or folder`, path);
  if (text.code === 'E_NOT_A_FILE' || text.code === 'E_HARD_LINK') return hostError(text.code, `${path}: ${text.message}`, path);
  return hostError('E_IO', `${path}: cannot read (${text.code})`, path);
}

/**
 * Reads a file the host opens on its own (one inside a folder the request named: a run's log.txt,
 * the recovery file): through the workspace guard first, so in web mode a link inside the
 * workspace that leads out of it is refused (E_OUTSIDE_WORKSPACE) instead of read, and so is a
 * file with several hard links (one of them may be outside).
 */
export async function readTextInside(guard: PathGuard, path: string): Promise<string | HostError> {
  const real = await guard.resolve(path);
  return isHostError(real) ? real : readText(real, guard.enforced ? { maxLinks: 1 } : {});
}

/** writeAtomic through the guard: in web mode the target (and the folders made for it) stay in the workspace. */
export async function writeAtomicInside(guard: PathGuard, path: string, data: string | Uint8Array): Promise<undefined | HostError> {
  const real = await guard.resolve(path);
  return isHostError(real) ? real : writeAtomic(real, data);
}

/** ENOENT becomes E_NOT_FOUND; anything else E_IO with the system's code. */
export function ioError(path: string, error: unknown, what: string): HostError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return hostError('E_NOT_FOUND', `${path}: no such file or folder`, path);
  return hostError('E_IO', `${path}: ${what} (${code ?? (error as Error).message})`, path);
}

export const safeJson = parseJsonOrUndefined;

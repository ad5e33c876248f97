import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes through a temp file beside the target, then renames it over: a crash or a full disk never
 * leaves a half-written file under the real name. Throws the file system's error (the temp file is
 * removed first); callers turn it into their own error values.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { createFolders?: boolean } = {}): Promise<void> {
  // A random suffix, not just pid + time: two writes in the same millisecond must not share a temp file.
  // The pid lets a later start tell a dead writer's leftover from a live write (removeStaleTempFiles).
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

/** The temp files writeFileAtomic makes, exactly: `.<name>.<pid>.<8 hex>.tmp`. */
const TEMP_FILE = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** A live write of a big file (a model's weights) takes seconds; a temp file older than this is left over. */
export const TEMP_FILE_MAX_AGE_MS = 10 * 60 * 1000;

export interface StaleTempOptions {
  /** Default: TEMP_FILE_MAX_AGE_MS. */
  maxAgeMs?: number;
  now?: number;
  /** Whether a process is running (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

/**
 * Removes the temp files writeFileAtomic left in `folder` when its process was killed mid-write (the
 * target is intact: the rename never happened, but the temp file stays forever otherwise). Only names
 * of the exact pattern, only plain files, and only when the writer is gone or the file is old: a
 * file of a live process that is not this one may be another Towerflow writing now, and one of this
 * process's own pid is either a write under way (another host in this process) or a dead process's
 * whose pid was reused (pid 1 in a container), so it goes only once old. Answers what was removed;
 * a folder that cannot be read gives an empty list.
 */
export async function removeStaleTempFiles(folder: string, options: StaleTempOptions = {}): Promise<string[]> {
  const maxAge = options.maxAgeMs ?? TEMP_FILE_MAX_AGE_MS;
  const now = options.now ?? Date.now();
  const isAlive = options.isAlive ?? processAlive;
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMP_FILE.exec(entry.name);
    if (!match || !entry.isFile()) continue;
    const pid = Number(match[2]);
    const path = join(folder, entry.name);
    const modified = await stat(path).then((s) => s.mtimeMs, () => undefined);
    if (modified === undefined) continue;
    const old = now - modified > maxAge;
    const writerGone = pid !== process.pid && !isAlive(pid);
    if (!old && !writerGone) continue;
    await rm(path, { force: true }).then(() => removed.push(path), () => undefined);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a path names, in words, when it is not a regular file; undefined for a regular file. */
export function notAFile(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return info.isSocket() ? 'a socket' : 'something other than a file';
}

/** Why a file could not be read: the system's code (ENOENT …) or E_NOT_A_FILE, and words for a message. */
export interface FileProblem {
  readonly code: string;
  readonly message: string;
}

/**
 * Reads a user-given file. Opened without blocking, then looked at through the open handle: a named
 * pipe would otherwise wait for a writer that may never come (stat-then-open leaves a window in
 * which the file can be swapped for one), and a device or a folder has nothing to give. The one
 * place file reads go through (host, CLI, run loading). `maxLinks`: refuse a regular file with more
 * hard links than that (web mode: a hard link inside the workspace can name a file outside it).
 */
export async function readFileChecked(path: string, options: { maxLinks?: number } = {}): Promise<Buffer | FileProblem> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    const kind = notAFile(info);
    if (kind !== undefined) return { code: 'E_NOT_A_FILE', message: `not a regular file but ${kind}` };
    if (options.maxLinks !== undefined && info.nlink > options.maxLinks) {
      return { code: 'E_HARD_LINK', message: `the file has ${info.nlink} hard links; web mode reads no file with more than one, since another name of it may lie outside the workspace` };
    }
    return await handle.readFile();
  } catch (error) {
    return { code: errorCode(error), message: `cannot read the file (${errorCode(error)})` };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** readFileChecked, as UTF-8 text. */
export async function readTextFile(path: string, options: { maxLinks?: number } = {}): Promise<string | FileProblem> {
  const bytes = await readFileChecked(path, options);
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8') : bytes;
}

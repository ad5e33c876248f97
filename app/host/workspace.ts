import { lstat, readdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { notAFile } from '../io/files';
import { hostError, type HostError } from './contract';

/**
 * Where the host may touch files. In web mode every path the UI sends must stay inside the
 * workspace folder: `..`, an absolute path elsewhere and a symlink whose target lies outside are
 * refused with E_OUTSIDE_WORKSPACE. The check is on real paths (realpath of the deepest part that
 * exists), so a link inside the workspace cannot lead out of it. In the desktop app the guard only
 * resolves relative paths against the workspace: the user owns the machine and picks files with
 * native dialogs.
 */
export interface PathGuard {
  /** The workspace as given, made absolute. */
  readonly root: string;
  readonly enforced: boolean;
  /** An absolute path to use for `input`, or why it is refused. Relative inputs start at the root. */
  resolve(input: string): Promise<string | HostError>;
  /** Whether an absolute path lies inside the workspace (lexically); false when not enforced. */
  isRoot(path: string): boolean;
}

export async function createPathGuard(root: string, enforced: boolean): Promise<PathGuard> {
  const absoluteRoot = resolve(root);
  const realRoot = await realpath(absoluteRoot).catch(() => absoluteRoot);
  const outside = (input: string, why = '') =>
    hostError('E_OUTSIDE_WORKSPACE', `"${input}" is outside the workspace ${absoluteRoot}${why}; web mode only opens and saves files inside it`, input);

  return {
    root: absoluteRoot,
    enforced,
    isRoot: (path) => resolve(path) === absoluteRoot || resolve(path) === realRoot,
    async resolve(input) {
      const absolute = resolve(absoluteRoot, input);
      if (!enforced) return absolute;
      // Lexical first: `../x` and `/etc/passwd` are refused without touching the disk.
      if (!isInside(absoluteRoot, absolute) && !isInside(realRoot, absolute)) return outside(input);
      const real = await realOf(absolute);
      if (real === 'dangling-link') return outside(input, ' (a link whose target does not exist)');
      if (!isInside(realRoot, real)) return outside(input, ` (it leads to ${real})`);
      const info = await lstat(real).catch(() => undefined);
      if (info?.isFile() && info.nlink > 1) return hardLink(input, info.nlink);
      // A named pipe stalls whoever opens it (every reader, the data readers too); web mode has no use for one.
      const kind = info && !info.isDirectory() ? notAFile(info) : undefined;
      if (kind !== undefined) return hostError('E_NOT_A_FILE', `"${input}" is not a regular file but ${kind}`, input);
      return real;
    },
  };
}

/**
 * Checks a folder the host is about to read or copy as a whole (a run folder: runs:open, inspect,
 * export): every entry down to `depth` levels must stay inside the workspace once links are
 * followed. A run folder inside the workspace whose log.txt or model/weights.bin is a link to
 * /etc/passwd would otherwise be read (or copied by an export) although the folder passed the guard.
 * Answers the first entry that leads out, as E_OUTSIDE_WORKSPACE, or that is no regular file
 * (E_NOT_A_FILE: a named pipe) or a hard-linked one (E_HARD_LINK); nothing when not enforced.
 */
export async function checkTree(guard: PathGuard, dir: string, depth = 3): Promise<HostError | undefined> {
  if (!guard.enforced) return undefined;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined; // a folder that cannot be listed has nothing to read either; the reader reports it
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const target = await guard.resolve(path);
      if (typeof target !== 'string') return target;
      continue; // a link that stays inside: what it leads to is checked where it lies
    }
    // A named pipe would stall the reader for ever; a hard link may be a file outside.
    const refused = await unreadable(path);
    if (refused) return refused;
    if (entry.isDirectory() && depth > 1) {
      const inner = await checkTree(guard, path, depth - 1);
      if (inner) return inner;
    }
  }
  return undefined;
}

/**
 * A hard link is a second name of the same file, and nothing says where the other name lies: one
 * made inside the workspace to /etc/shadow (same file system) passes every path check. Web mode
 * reads no regular file with more than one link; a user who wants a file in the workspace copies it.
 */
const hardLink = (input: string, links: number): HostError =>
  hostError('E_HARD_LINK', `"${input}" has ${links} hard links; web mode reads no file with more than one, since another name of it may lie outside the workspace (copy the file in instead)`, input);

/** Why a folder entry may not be read in web mode (not a regular file or folder, or hard-linked), or undefined. */
async function unreadable(path: string): Promise<HostError | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info || info.isDirectory()) return undefined;
  const kind = notAFile(info);
  if (kind !== undefined) return hostError('E_NOT_A_FILE', `${path} is not a regular file but ${kind}; nothing in a run folder may be one`, path);
  return info.nlink > 1 ? hardLink(path, info.nlink) : undefined;
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path of `path`: realpath of its deepest existing ancestor, plus the parts that do not
 * exist yet (a file about to be saved). A dangling link is reported, since writing through it
 * would create its target wherever it points.
 */
async function realOf(path: string): Promise<string | 'dangling-link'> {
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length ? join(real, ...missing.reverse()) : real;
    } catch {
      const isLink = await lstat(current).then((s) => s.isSymbolicLink(), () => false);
      if (isLink) return 'dangling-link';
      const parent = dirname(current);
      if (parent === current) return path;
      missing.push(current.slice(parent.length).replace(/^[\\/]+/, ''));
      current = parent;
    }
  }
}

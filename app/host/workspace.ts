import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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
      return real;
    },
  };
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

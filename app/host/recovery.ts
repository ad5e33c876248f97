import { rm, stat } from 'node:fs/promises';
import { isHostError, type HostError, type RecoveryState } from './contract';
import { readTextInside, safeJson, writeAtomicInside } from './files';
import type { PathGuard } from './workspace';

/**
 * Unsaved-work recovery: the UI writes the graph it holds (and the file it belongs to) every few
 * seconds while there are unsaved edits, and clears it on save; after a crash, recovery:read
 * offers it back. One file, written atomically, so a crash mid-write keeps the previous copy.
 * In web mode it lives in the workspace, so every access passes the guard: a recovery folder
 * replaced by a link to elsewhere is neither written through nor read.
 */
export class RecoveryStore {
  constructor(
    private readonly file: string,
    private readonly guard: PathGuard,
  ) {}

  async write(graph: unknown, path?: string): Promise<{ savedAt: string } | HostError> {
    const savedAt = new Date().toISOString();
    const doc = { format: 'towerflow.recovery', version: 1, savedAt, ...(path !== undefined ? { path } : {}), graph };
    const failed = await writeAtomicInside(this.guard, this.file, `${JSON.stringify(doc)}\n`);
    return failed ?? { savedAt };
  }

  async read(): Promise<RecoveryState | null> {
    const text = await readTextInside(this.guard, this.file);
    if (typeof text !== 'string') return null;
    const doc = safeJson(text) as Partial<RecoveryState> & { format?: unknown } | undefined;
    // A damaged recovery file is no recovery: say there is none rather than fail the start-up.
    if (doc?.format !== 'towerflow.recovery' || typeof doc.savedAt !== 'string' || doc.graph === undefined) return null;
    return { graph: doc.graph, savedAt: doc.savedAt, ...(typeof doc.path === 'string' ? { path: doc.path } : {}) };
  }

  async clear(): Promise<{ cleared: boolean } | HostError> {
    const file = await this.guard.resolve(this.file);
    if (isHostError(file)) return file;
    const existed = await stat(file).then(() => true, () => false);
    await rm(file, { force: true });
    return { cleared: existed };
  }
}

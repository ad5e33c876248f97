import { rm, stat } from 'node:fs/promises';
import type { HostError, RecoveryState } from './contract';
import { readText, safeJson, writeAtomic } from './files';

/**
 * Unsaved-work recovery: the UI writes the graph it holds (and the file it belongs to) every few
 * seconds while there are unsaved edits, and clears it on save; after a crash, recovery:read
 * offers it back. One file, written atomically, so a crash mid-write keeps the previous copy.
 */
export class RecoveryStore {
  constructor(private readonly file: string) {}

  async write(graph: unknown, path?: string): Promise<{ savedAt: string } | HostError> {
    const savedAt = new Date().toISOString();
    const doc = { format: 'towerflow.recovery', version: 1, savedAt, ...(path !== undefined ? { path } : {}), graph };
    const failed = await writeAtomic(this.file, `${JSON.stringify(doc)}\n`);
    return failed ?? { savedAt };
  }

  async read(): Promise<RecoveryState | null> {
    const text = await readText(this.file);
    if (typeof text !== 'string') return null;
    const doc = safeJson(text) as Partial<RecoveryState> & { format?: unknown } | undefined;
    // A damaged recovery file is no recovery: say there is none rather than fail the start-up.
    if (doc?.format !== 'towerflow.recovery' || typeof doc.savedAt !== 'string' || doc.graph === undefined) return null;
    return { graph: doc.graph, savedAt: doc.savedAt, ...(typeof doc.path === 'string' ? { path: doc.path } : {}) };
  }

  async clear(): Promise<{ cleared: boolean }> {
    const existed = await stat(this.file).then(() => true, () => false);
    await rm(this.file, { force: true });
    return { cleared: existed };
  }
}

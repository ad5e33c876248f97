import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { RecentFile } from './contract';
import { readTextInside, safeJson, writeAtomicInside } from './files';
import type { PathGuard } from './workspace';

/**
 * The recent-files list, newest first, kept as JSON in the app's data folder. Updates are chained
 * so two saves at once cannot lose each other's entry; a missing or damaged file reads as empty.
 * Read and written through the workspace guard (web mode keeps it in the workspace).
 */
export class RecentFiles {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly guard: PathGuard,
    private readonly limit = 12,
  ) {}

  async list(): Promise<RecentFile[]> {
    const entries = await this.read();
    return Promise.all(
      entries.map(async (e) => ({ path: e.path, name: basename(e.path), openedAt: e.openedAt, exists: await stat(e.path).then((s) => s.isFile(), () => false) })),
    );
  }

  add(path: string): Promise<void> {
    const next = this.queue.then(async () => {
      const entries = (await this.read()).filter((e) => e.path !== path);
      entries.unshift({ path, openedAt: new Date().toISOString() });
      // A failure to remember a recent file must not fail the save or open that caused it.
      await writeAtomicInside(this.guard, this.file, `${JSON.stringify({ format: 'towerflow.recent', version: 1, files: entries.slice(0, this.limit) }, null, 2)}\n`);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<{ path: string; openedAt: string }[]> {
    const text = await readTextInside(this.guard, this.file);
    if (typeof text !== 'string') return [];
    const doc = safeJson(text) as { files?: unknown } | undefined;
    if (!Array.isArray(doc?.files)) return [];
    return doc.files.filter(
      (e): e is { path: string; openedAt: string } => typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.openedAt === 'string',
    );
  }
}

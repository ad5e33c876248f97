import { GRAPH_VERSION } from './schema';

/**
 * Upgrades of older graph files, one step per version. A file is migrated step by step to
 * GRAPH_VERSION before it is validated, so old files keep opening. Version 1 is the first format,
 * so the list is empty until the format changes; adding a version means adding a step here and a
 * fixture of the old format under tests/fixtures/graphs.
 */
export interface Migration {
  from: number;
  migrate(doc: Record<string, unknown>): Record<string, unknown>;
}

export const MIGRATIONS: readonly Migration[] = [];

export type MigrationResult =
  | { ok: true; doc: Record<string, unknown> }
  | { ok: false; message: string };

export function migrate(doc: Record<string, unknown>, migrations: readonly Migration[] = MIGRATIONS, target = GRAPH_VERSION): MigrationResult {
  let version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { ok: false, message: `"version" must be a positive integer, got ${JSON.stringify(version)}` };
  }
  if (version > target) {
    return {
      ok: false,
      message: `this graph was written by a newer Towerflow (format version ${version}); this build reads versions up to ${target}`,
    };
  }
  let current = doc;
  while (version < target) {
    const step = migrations.find((m) => m.from === version);
    if (!step) return { ok: false, message: `no migration from format version ${version}` };
    current = { ...step.migrate(current), version: version + 1 };
    version += 1;
  }
  return { ok: true, doc: current };
}

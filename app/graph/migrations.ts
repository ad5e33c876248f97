import { GRAPH_VERSION } from './schema';

/**
 * Upgrades of older graph files, one step per version. A file is migrated step by step to
 * GRAPH_VERSION before it is validated, so old files keep opening. Adding a version means adding a
 * step here and a fixture of the old format under tests/fixtures/graphs.
 */
export interface Migration {
  from: number;
  migrate(doc: Record<string, unknown>): Record<string, unknown>;
}

/** Version 1 → 2: a sparse or sequence input without vocabSize had 1000 rows per column; the default is now "auto". */
const fixedVocabDefault: Migration = {
  from: 1,
  migrate: (doc) => {
    if (!Array.isArray(doc.nodes)) return doc;
    const nodes = doc.nodes.map((node: unknown) => {
      if (!isRecord(node) || (node.kind !== 'input.sparse' && node.kind !== 'input.sequence')) return node;
      // Params of the wrong type are left for the schema check to report where they are.
      if (node.params !== undefined && !isRecord(node.params)) return node;
      const params = node.params ?? {};
      return Object.hasOwn(params, 'vocabSize') ? node : { ...node, params: { ...params, vocabSize: V1_VOCAB_SIZE } };
    });
    return { ...doc, nodes };
  },
};

/** The vocabSize of version 1 files that left it out. */
export const V1_VOCAB_SIZE = 1000;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const MIGRATIONS: readonly Migration[] = [fixedVocabDefault];

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

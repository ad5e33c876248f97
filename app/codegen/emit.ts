import type { EmitContext, EmittedValue, SnippetName } from '../nodes/define-node';
import { BuildSession, fusesTables, outputTraining, type BuildPlan } from '../compile/plan';
import { FusedEmbedding } from '../compile/layers/fused-embedding';
import { safeName } from '../compile/names';
import { CUSTOM_LAYERS } from './layer-sources.generated';
import { commentText, IdentifierScope, literal, num, obj, str } from './source';

/** A model input as the module declares it. */
export interface EmittedInput {
  name: string;
  dtype: 'int32' | 'float32';
  shape: number[];
  columns: string[];
  /** The identifier of its symbolic tensor in buildModel. */
  identifier: string;
}

/** A model output as the module declares it. */
export interface EmittedOutput {
  name: string;
  label?: string;
  loss: 'binary_crossentropy' | 'mse';
  lossWeight: number;
  identifier: string;
}

/** The body of buildModel() and what it needs from the rest of the module. */
export interface EmittedModel {
  /** Statements per node, each group headed by a comment naming the node. */
  groups: string[][];
  inputs: EmittedInput[];
  outputs: EmittedOutput[];
  /** classNames (keys of CUSTOM_LAYERS) the model uses. */
  layers: Set<string>;
  snippets: Set<SnippetName>;
  /** Whether any initializer asked for a seed (so buildModel needs `seedAt`). */
  seeded: boolean;
  /** Whether any asked for it as options (so buildModel needs `seeded`). */
  seedOptions: boolean;
}

/** Identifiers buildModel itself uses, besides the module-level names. */
export const BUILD_LOCALS = ['seed', 'seedAt', 'seeded'] as const;

/**
 * Runs every planned node's emitter, in plan order, through the same BuildSession the compiler
 * uses, so layer names, input names and seed indices come out exactly as compileGraph's.
 */
export function emitModel(plan: BuildPlan, scope: IdentifierScope): EmittedModel {
  const session = new BuildSession(plan);
  const model: EmittedModel = { groups: [], inputs: [], outputs: [], layers: new Set(), snippets: new Set(), seeded: false, seedOptions: false };
  const values = new Map<string, Record<string, EmittedValue>>();
  const tables = new Map<string, string>();

  for (const planned of plan.nodes) {
    const { id, node, kind, params } = planned;
    const lines: string[] = [];
    const layerNames: string[] = [];
    const inputs: Record<string, EmittedValue[]> = {};
    for (const [portId, sources] of Object.entries(planned.inputs)) {
      inputs[portId] = sources.map((source) => {
        const value = values.get(source.node)?.[source.port];
        if (!value) throw new Error(`Bug: ${source.node}.${source.port} feeds ${id} but was not emitted`);
        return value;
      });
    }
    const nextSeed = () => {
      model.seeded = true;
      return `seedAt(${session.nextSeedIndex()})`;
    };
    const seedOptions = () => {
      model.seedOptions = true;
      return `seeded(${session.nextSeedIndex()})`;
    };
    const customLayer = (layer: { readonly className: string }) => {
      const unit = CUSTOM_LAYERS[layer.className];
      if (!unit) throw new Error(`Bug: layer ${layer.className} has no source; run \`npx tsx scripts/write-layer-sources.ts\``);
      model.layers.add(layer.className);
      return unit.identifier;
    };
    const ctx: EmitContext<unknown> = {
      node,
      params,
      inputs,
      outputs: planned.outputs,
      layerName: (suffix) => {
        const name = session.layerName(planned, suffix);
        layerNames.push(name);
        return name;
      },
      nextSeed,
      seedOptions,
      modelInput: (raw, shape, dtype, columns) => {
        const name = session.inputName(raw);
        const identifier = scope.fresh(name, 'input');
        lines.push(`const ${identifier} = tf.input(${obj({ name: str(name), shape: literal(shape), dtype: str(dtype) })});`);
        model.inputs.push({ name, dtype, shape, columns, identifier });
        return identifier;
      },
      embeddingTable: (table, vocabSize, dim, l2) => {
        const existing = tables.get(table);
        if (existing !== undefined) return existing;
        model.snippets.add('embeddingTable');
        const seed = nextSeed();
        const name = session.tableName(table);
        const identifier = scope.fresh(name, 'table');
        const args = [str(name), num(vocabSize), num(dim), seed, ...(l2 > 0 ? [num(l2)] : [])];
        lines.push(`const ${identifier} = embeddingTable(${args.join(', ')});`);
        tables.set(table, identifier);
        return identifier;
      },
      customLayer,
      fusedTables: (fields, dim, l2) => {
        if (!fusesTables(plan, fields.map((f) => f.table))) return undefined;
        const seeds = fields.map(() => `${nextSeed()} ?? null`);
        const name = session.layerName(planned, 'tables');
        layerNames.push(name);
        const identifier = scope.fresh(name, 'table');
        const tableList = `[${fields.map((f) => obj({ name: str(f.table), vocabSize: num(f.vocabSize) })).join(', ')}]`;
        const args = obj({ name: str(name), tables: tableList, outputDim: num(dim), seeds: `[${seeds.join(', ')}]`, l2: l2 > 0 ? num(l2) : undefined });
        lines.push(`const ${identifier} = new ${customLayer(FusedEmbedding)}(${args});`);
        for (const f of fields) tables.set(f.table, identifier);
        return identifier;
      },
      snippet: (name) => {
        model.snippets.add(name);
        return name;
      },
      valueName: (suffix) => (suffix === undefined ? planned.base : safeName(`${planned.base}_${suffix}`)),
      declare: (hint, expression) => {
        const identifier = scope.fresh(hint);
        lines.push(`const ${identifier} = ${expression};`);
        return identifier;
      },
    };
    const result = kind.emit(ctx);
    // Carry each output's inferred shape, so emitters downstream can size layers as builders do from symbolic tensors.
    values.set(id, Object.fromEntries(Object.entries(result).map(([port, value]) => [port, { ...value, shape: planned.outputs[port]?.shape }])));
    if (lines.length > 0) {
      const label = commentText(node.label);
      model.groups.push([`// ${kind.title}${label ? `: ${label}` : ''}`, ...lines]);
    }
    if (node.kind === 'output') {
      const prediction = result.prediction;
      if (!prediction) throw new Error(`Bug: output ${id} emitted no prediction`);
      model.outputs.push({ name: layerNames[0] ?? planned.base, identifier: prediction.tensor, ...outputTraining(params) });
    }
  }
  return model;
}

import type { TorchContext, TorchHelperName, TorchValue, TorchWeight } from '../../nodes/define-node';
import { BuildSession, fusesTables, outputTraining, type BuildPlan } from '../../compile/plan';
import { safeName } from '../../compile/names';
import { NN_MODULE_ATTRIBUTES, PY_BUILTINS, pyComment, pyLiteral, pyNum, PyScope, pyStr } from './source';
import { TORCH_HELPER_NEEDS, TORCH_HELPER_ORDER } from './runtime';

/** A model input as model.py declares it (the same name, dtype, shape and columns as the tfjs model's). */
export interface TorchInput {
  name: string;
  nodeId: string;
  dtype: 'int32' | 'float32';
  shape: number[];
  columns: string[];
}

export interface TorchOutput {
  name: string;
  label?: string;
  loss: 'binary_crossentropy' | 'mse';
  lossWeight: number;
  /** The local of forward that holds it. */
  local: string;
  /** The local holding its logit, where the prediction is the sigmoid of one (forward(inputs, logits=True) returns it). */
  logitLocal?: string;
}

/** One tfjs weight and where it goes: `experts_dense_0/kernel` → `experts_dense_0.weight`, transposed. */
export interface WeightMapping {
  tfjs: string;
  torch: string;
  transpose: boolean;
}

export interface TorchModel {
  /** `__init__` statements per node, each group headed by a comment naming the node. */
  init: string[][];
  /** `forward` statements per node. */
  forward: string[][];
  inputs: TorchInput[];
  outputs: TorchOutput[];
  weights: WeightMapping[];
  /** Parameters with an L2 penalty (tfjs regularizers), for train.py. */
  penalties: { torch: string; l2: number }[];
  helpers: TorchHelperName[];
}

/** Names model.py declares at module level, and forward's own: no layer attribute or local takes them. */
export const MODULE_LEVEL_NAMES = [
  'annotations', 'json', 'math', 'Path', 'np', 'torch', 'nn', 'F', 'GRAPH_NAME', 'INPUTS', 'OUTPUTS', 'TFJS_WEIGHTS', 'L2_PENALTIES',
  'Model', 'load_tfjs_weights', 'read_tfjs_weights', 'l2_penalty', 'inputs', 'logits', ...TORCH_HELPER_ORDER,
] as const;

/**
 * Runs every planned node's PyTorch emitter, in plan order, through the same BuildSession the
 * compiler uses, so submodules carry the compiled model's layer names (made Python-safe only where
 * a name is a keyword or an nn.Module attribute) and model inputs their names.
 */
export function emitTorchModel(plan: BuildPlan): TorchModel {
  const session = new BuildSession(plan);
  const attributes = new PyScope([...PY_BUILTINS, ...NN_MODULE_ATTRIBUTES]);
  const locals = new PyScope([...PY_BUILTINS, ...MODULE_LEVEL_NAMES]);
  const model: TorchModel = { init: [], forward: [], inputs: [], outputs: [], weights: [], penalties: [], helpers: [] };
  const helpers = new Set<TorchHelperName>();
  const values = new Map<string, Record<string, TorchValue>>();
  const tables = new Map<string, string>();

  const declareLayer = (
    init: string[],
    layer: string,
    constructor: string,
    options: { init?: string[]; weights?: TorchWeight[]; l2?: { torch: string; l2: number }[] } = {},
  ): string => {
    const attribute = attributes.fresh(layer, 'layer');
    const self = `self.${attribute}`;
    init.push(`${self} = ${constructor}`);
    for (const statement of options.init ?? []) init.push(statement.replaceAll('{}', self));
    for (const w of options.weights ?? []) model.weights.push({ tfjs: `${layer}/${w.tfjs}`, torch: `${attribute}.${w.torch}`, transpose: w.transpose ?? false });
    for (const p of options.l2 ?? []) model.penalties.push({ torch: `${attribute}.${p.torch}`, l2: p.l2 });
    return self;
  };
  const useHelper = (name: TorchHelperName): string => {
    for (const needed of TORCH_HELPER_NEEDS[name] ?? []) helpers.add(needed);
    helpers.add(name);
    return name;
  };

  for (const planned of plan.nodes) {
    const { id, node, kind, params } = planned;
    const init: string[] = [];
    const forward: string[] = [];
    const layerNames: string[] = [];
    const inputs: Record<string, TorchValue[]> = {};
    for (const [portId, sources] of Object.entries(planned.inputs)) {
      inputs[portId] = sources.map((source) => {
        const value = values.get(source.node)?.[source.port];
        if (!value) throw new Error(`Bug: ${source.node}.${source.port} feeds ${id} but was not emitted`);
        return value;
      });
    }
    const ctx: TorchContext<unknown> = {
      node,
      params,
      inputs,
      outputs: planned.outputs,
      layerName: (suffix) => {
        const name = session.layerName(planned, suffix);
        layerNames.push(name);
        return name;
      },
      modelInput: (raw, shape, dtype, columns) => {
        const name = session.inputName(raw);
        model.inputs.push({ name, nodeId: id, dtype, shape, columns });
        return `inputs[${pyStr(name)}]`;
      },
      embeddingTable: (table, vocabSize, dim, l2) => {
        const existing = tables.get(table);
        if (existing !== undefined) return existing;
        const self = declareLayer(init, session.tableName(table), `nn.Embedding(${pyNum(vocabSize)}, ${pyNum(dim)})`, {
          init: ['nn.init.uniform_({}.weight, -0.05, 0.05)'],
          weights: [{ tfjs: 'embeddings', torch: 'weight' }],
          ...(l2 > 0 ? { l2: [{ torch: 'weight', l2 }] } : {}),
        });
        tables.set(table, self);
        return self;
      },
      fusedTables: (fields, dim, l2) => {
        if (!fusesTables(plan, fields.map((f) => f.table))) return undefined;
        const name = ctx.layerName('tables');
        const list = `[${fields.map((f) => `(${pyStr(f.table)}, ${pyNum(f.vocabSize)})`).join(', ')}]`;
        const self = declareLayer(init, name, `${useHelper('FusedEmbedding')}(${list}, ${pyNum(dim)})`, {
          weights: [{ tfjs: 'embeddings', torch: 'weight' }],
          ...(l2 > 0 ? { l2: [{ torch: 'weight', l2 }] } : {}),
        });
        for (const f of fields) tables.set(f.table, self);
        return self;
      },
      layer: (layer, constructor, options) => declareLayer(init, layer, constructor, options),
      helper: useHelper,
      valueName: (suffix) => (suffix === undefined ? planned.base : safeName(`${planned.base}_${suffix}`)),
      declare: (hint, expression) => {
        const local = locals.fresh(hint);
        forward.push(`${local} = ${expression}`);
        return local;
      },
    };
    const result = kind.torch(ctx);
    values.set(id, Object.fromEntries(Object.entries(result).map(([port, value]) => [port, { ...value, shape: planned.outputs[port]?.shape }])));
    const label = pyComment(node.label);
    const heading = `# ${kind.title}${label ? `: ${label}` : ''}`;
    if (init.length > 0) model.init.push([heading, ...init]);
    if (forward.length > 0) model.forward.push([heading, ...forward]);
    if (node.kind === 'output') {
      const prediction = result.prediction;
      if (!prediction) throw new Error(`Bug: output ${id} emitted no prediction`);
      model.outputs.push({
        name: layerNames[0] ?? planned.base,
        local: prediction.tensor,
        ...(prediction.logit !== undefined ? { logitLocal: prediction.logit } : {}),
        ...outputTraining(params),
      });
    }
  }
  model.helpers = TORCH_HELPER_ORDER.filter((h) => helpers.has(h));
  return model;
}

/** INPUTS as model.py lists it. */
export const inputLiteral = (input: TorchInput, extra: Record<string, unknown>): string =>
  pyLiteral({ name: input.name, dtype: input.dtype, shape: input.shape, columns: input.columns, ...extra });

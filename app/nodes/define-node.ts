import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { DiagnosticCode } from '../validate/diagnostics';
import type { GraphNode } from '../graph/schema';
import type { PortType, TensorInfo } from './tensor';

export type NodeCategory = 'Inputs' | 'Features' | 'Layers' | 'Multi-task' | 'Outputs';

export interface PortSpec {
  id: string;
  label: string;
  type: PortType;
  /** Accepts any number of edges (concat, gate experts, multiply). */
  multi?: boolean;
  /** May stay unconnected without an error. */
  optional?: boolean;
  description: string;
}

/** What shape inference hands a node: the tensors on each input port, in edge order. */
export interface InferContext<P> {
  node: GraphNode;
  params: P;
  inputs: Record<string, TensorInfo[]>;
  /** Report a problem at this node (optionally at one of its ports). */
  error(code: DiagnosticCode, message: string, portId?: string): void;
  /**
   * Claim an embedding table of the graph. Tables are shared by name, so every claim of one name
   * must agree on its size; a disagreeing claim is reported at this node.
   */
  useTable(name: string, vocabSize: number, dim: number): void;
}

/** Output tensors by port id; `undefined` when the node could not infer (it reported why). */
export type InferResult = Record<string, TensorInfo> | undefined;

/** One weight tensor a node's builder creates, by shape (without batch). */
export interface WeightSpec {
  shape: number[];
  /** An embedding table: shared by name, so counted once however many nodes look it up. */
  table?: string;
  /** false for statistics that training calls move but gradients do not (batch norm's and Dice's moving mean and variance), as tfjs's non-trainable weights. */
  trainable?: false;
}

/** What sizing a node's weights needs: its params and the tensors on its inputs (already inferred). */
export interface WeightContext<P> {
  params: P;
  inputs: Record<string, TensorInfo[]>;
}

/** A tensor in the functional model under construction. */
export interface BuiltValue {
  tensor: tf.SymbolicTensor;
  /** float [L] of 1 (real position) / 0 (padding), for sequence tensors. */
  mask?: tf.SymbolicTensor;
  /** For ids: one model input per column, so each can be looked up in its own table. */
  fields?: { column: string; vocabSize: number; tensor: tf.SymbolicTensor }[];
}

export interface BuildContext<P> {
  node: GraphNode;
  params: P;
  inputs: Record<string, BuiltValue[]>;
  /** Inferred output tensors of this node (already validated). */
  outputs: Record<string, TensorInfo>;
  /** A model-unique, safe layer name derived from the node label, e.g. `ctr_tower_dense_1`. */
  layerName(suffix?: string): string;
  /** Seed for the next initializer, or undefined for random init. */
  nextSeed(): number | undefined;
  /** Declare a model input. `name` is made safe and unique. */
  modelInput(name: string, shape: number[], dtype: 'int32' | 'float32', columns: string[]): tf.SymbolicTensor;
  /** Embedding tables are shared by name across nodes (DIN shares the item table). */
  embeddingTable(table: string, vocabSize: number, dim: number, l2: number): tf.layers.Layer;
  /**
   * Several tables of one width as one FusedEmbedding layer (one lookup instead of one per column),
   * or undefined when fewer than two tables are given or any is shared with another lookup (then
   * each column takes embeddingTable). Seeds are taken per table, as embeddingTable would.
   */
  fusedTables(tables: { table: string; vocabSize: number }[], dim: number, l2: number): tf.layers.Layer | undefined;
}

/**
 * A tensor in the generated TypeScript module (see app/codegen): the identifiers of the symbolic
 * tensors, mirroring BuiltValue.
 */
export interface EmittedValue {
  tensor: string;
  /** The inferred shape (without batch), as a builder reads it off its symbolic tensor. */
  shape?: number[];
  mask?: string;
  fields?: { column: string; vocabSize: number; tensor: string }[];
}

/** A source helper the generated module can include (app/codegen/snippets.ts). */
export type SnippetName = 'embeddingTable' | 'lookupFlat';

/**
 * What code generation hands a node: the same naming and seeding as BuildContext, in the same call
 * order, so an emitter that asks for what its builder asks for gives the same layer names and
 * initializer seeds. The emitter writes `const` statements into `buildModel()` of the module.
 */
export interface EmitContext<P> {
  node: GraphNode;
  params: P;
  inputs: Record<string, EmittedValue[]>;
  outputs: Record<string, TensorInfo>;
  /** The layer name the builder gets from the same call (BuildContext.layerName). */
  layerName(suffix?: string): string;
  /** Source of the next initializer seed, e.g. `seedAt(3)`: the seed the builder's nextSeed gives. */
  nextSeed(): string;
  /**
   * The next seed as tfjs options, e.g. `seeded(3)`: `{ seed }`, or `{}` without one. tfjs declares
   * `seed?: number`, which takes no explicit undefined under exactOptionalPropertyTypes.
   */
  seedOptions(): string;
  /** Declares a model input (BuildContext.modelInput); returns the identifier of its symbolic tensor. */
  modelInput(name: string, shape: number[], dtype: 'int32' | 'float32', columns: string[]): string;
  /** The identifier of a shared embedding table (BuildContext.embeddingTable), declared on first use. */
  embeddingTable(table: string, vocabSize: number, dim: number, l2: number): string;
  /** The identifier of a FusedEmbedding layer (BuildContext.fusedTables), or undefined when the builder gets none. */
  fusedTables(tables: { table: string; vocabSize: number }[], dim: number, l2: number): string | undefined;
  /** The identifier of a custom layer class; the module then carries its source and registers it. */
  customLayer(layer: { readonly className: string }): string;
  /** The identifier of a source helper; the module then carries it. */
  snippet(name: SnippetName): string;
  /** A name for a value of this node: its base name (`income_50k_tower`), with `_suffix` when given. Claims nothing. */
  valueName(suffix?: string): string;
  /**
   * Writes `const <id> = <expression>;` into buildModel, the identifier derived from `hint` (a layer
   * or value name: `income_50k_tower` → `income50kTower`) and unique in the module; returns it.
   */
  declare(hint: string, expression: string): string;
}

/**
 * A tensor in the generated PyTorch module (app/codegen/python): the Python expression of the tensor
 * in `forward` (a local name, or `inputs["…"]`), mirroring BuiltValue.
 */
export interface TorchValue {
  tensor: string;
  /** The inferred shape (without batch): what a layer's in_features are sized from. */
  shape?: number[];
  /** float [B, L] of 1 (real position) / 0 (padding), for sequence tensors. */
  mask?: string;
  fields?: { column: string; vocabSize: number; tensor: string }[];
  /**
   * For a probability made by a sigmoid: the expression before it (the logit). train.py trains such
   * an output with BCEWithLogitsLoss, which stays exact where the probability rounds to 0 or 1.
   */
  logit?: string;
}

/** How one tfjs weight of a layer loads into the PyTorch module: `kernel` → `weight`, transposed. */
export interface TorchWeight {
  /** The weight's name inside its tfjs layer (`kernel`, `bias`, `embeddings`, `moving_mean`, `kernel_0`). */
  tfjs: string;
  /** The parameter or buffer path inside the PyTorch layer (`weight`, `running_mean`, `layers.0.weight`). */
  torch: string;
  /** tfjs stores dense kernels [in, out], torch.nn.Linear [out, in]. */
  transpose?: boolean;
}

/** A Python helper the generated model.py can include (app/codegen/python/runtime.ts). */
export type TorchHelperName = 'FusedEmbedding' | 'DinActivationUnit' | 'Dice' | 'gate_mixture' | 'masked_pooling' | 'weighted_sum' | 'padding_mask' | 'activation';

/**
 * What the PyTorch emitter is handed: the same naming as BuildContext, in the same call order, so an
 * emitter that asks for what its builder asks for gives submodules named as the compiled model's
 * layers (`income_50k_tower_dense_0` → `self.income_50k_tower_dense_0`), and trained tfjs weights
 * load into them by name. Layers go into `__init__`, the computation into `forward`.
 */
export interface TorchContext<P> {
  node: GraphNode;
  params: P;
  inputs: Record<string, TorchValue[]>;
  outputs: Record<string, TensorInfo>;
  /** The layer name the builder gets from the same call (BuildContext.layerName). */
  layerName(suffix?: string): string;
  /** Declares a model input (BuildContext.modelInput); returns its expression, `inputs["name"]`. */
  modelInput(name: string, shape: number[], dtype: 'int32' | 'float32', columns: string[]): string;
  /** The submodule of a shared embedding table (BuildContext.embeddingTable), declared on first use. */
  embeddingTable(table: string, vocabSize: number, dim: number, l2: number): string;
  /** The submodule of a FusedEmbedding (BuildContext.fusedTables), or undefined when the builder gets none. */
  fusedTables(tables: { table: string; vocabSize: number }[], dim: number, l2: number): string | undefined;
  /**
   * Declares `self.<layer> = <constructor>` in `__init__`, followed by its initialisation statements
   * (`{}` stands for the submodule), records how the tfjs layer `layer`'s weights load into it, and
   * which of its parameters carry an L2 penalty (train.py adds them to the loss, as tfjs regularizers do).
   * Returns the submodule's expression, `self.<attribute>`.
   */
  layer(layer: string, constructor: string, options?: { init?: string[]; weights?: TorchWeight[]; l2?: { torch: string; l2: number }[] }): string;
  /** The identifier of a Python helper; model.py then carries it. */
  helper(name: TorchHelperName): string;
  /** A name for a value of this node: its base name, with `_suffix` when given. Claims nothing. */
  valueName(suffix?: string): string;
  /** Writes `<name> = <expression>` into forward, the name derived from `hint` and unique; returns it. */
  declare(hint: string, expression: string): string;
}

export interface NodeKind<Schema extends z.ZodObject = z.ZodObject> {
  kind: string;
  title: string;
  category: NodeCategory;
  description: string;
  params: Schema;
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Data columns this node reads as model inputs (input kinds). */
  dataColumns?(params: z.output<Schema>): string[];
  /** Label columns this node trains against (output kinds). */
  labelColumns?(params: z.output<Schema>): string[];
  /** The name layers of this node derive from; the node label unless the kind says otherwise. */
  layerBase?(node: GraphNode, params: z.output<Schema>): string;
  infer(ctx: InferContext<z.output<Schema>>): InferResult;
  /**
   * The weights `build` creates, by shape, so validation knows the memory a model needs before
   * anything is allocated. Left out by kinds without weights. Must match `build`: the unit tests
   * compare the sum with the compiled model's parameter count.
   */
  weights?(ctx: WeightContext<z.output<Schema>>): WeightSpec[];
  build(ctx: BuildContext<z.output<Schema>>): Record<string, BuiltValue>;
  /**
   * Writes what `build` builds as TypeScript (app/codegen). Required: a kind cannot be added without
   * its code export. It must ask for layer names, seeds, inputs and tables exactly as `build` does.
   */
  emit(ctx: EmitContext<z.output<Schema>>): Record<string, EmittedValue>;
  /**
   * Writes what `build` builds as a PyTorch module (app/codegen/python): the same math, submodules
   * named as `build`'s layers. Required, like `emit`. It must ask for layer names, inputs and tables
   * exactly as `build` does (seeds aside: PyTorch draws its own initial weights).
   */
  torch(ctx: TorchContext<z.output<Schema>>): Record<string, TorchValue>;
}

/** Identity function that fixes the param type of a kind; every node module goes through it. */
export function defineNode<Schema extends z.ZodObject>(kind: NodeKind<Schema>): NodeKind<Schema> {
  const ids = [...kind.inputs, ...kind.outputs].map((p) => p.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) throw new Error(`Bug: node kind ${kind.kind} declares port "${dup}" twice`);
  return kind;
}

// The registry holds kinds of different param types; erasing them here is the one place that needs it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- heterogeneous registry of param schemas
export type AnyNodeKind = NodeKind<any>;

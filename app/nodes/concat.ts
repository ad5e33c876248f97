import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode, type InferContext, type InferResult } from './define-node';
import { formatShape, type TensorInfo } from './tensor';
import { vectorWidth } from './shared/infer-helpers';
import { applied, str } from '../codegen/source';

/**
 * Joins vectors end to end, in the order the edges were drawn; or sequences position by position:
 * DIN's behaviour is the item embedding next to its category embedding, at every history position
 * as for the candidate (Zhou et al. 2018). Sequences joined keep a padding mask: the one they share,
 * or the product of theirs (1 only where every sequence has a real id), a Multiply layer.
 */
export const concat = defineNode({
  kind: 'concat',
  title: 'Concat',
  category: 'Features',
  description:
    'Joins feature vectors into one vector (e.g. all embeddings plus the dense features), or sequences of one length position by position (e.g. history item and category embeddings).',
  params: z.object({}),
  inputs: [
    {
      id: 'inputs',
      label: 'inputs',
      type: 'float',
      multi: true,
      description: 'Vectors [n] to join, or sequences [length, d] of one length, in edge order; not a mix of both.',
    },
  ],
  outputs: [
    {
      id: 'out',
      label: 'out',
      type: 'float',
      description: 'The joined vector [Σn], or the joined sequence [length, Σd] with the padding mask of all its inputs.',
    },
  ],
  infer: (ctx) => {
    const inputs = ctx.inputs.inputs ?? [];
    if (inputs.some(isSequence)) return joinSequences(ctx, inputs);
    const widths = inputs.map((t) => vectorWidth(ctx, 'inputs', t));
    if (widths.some((w) => w === undefined)) return undefined;
    const total = widths.reduce<number>((sum, w) => sum + (w ?? 0), 0);
    return { out: { type: 'float', shape: [total], masked: false } };
  },
  build: (ctx) => {
    const values = ctx.inputs.inputs ?? [];
    const masks = distinct(values.map((v) => v.mask));
    const [only] = values;
    if (values.length === 1 && only) return { out: { tensor: only.tensor, ...(only.mask ? { mask: only.mask } : {}) } };
    const tensor = tf.layers.concatenate({ axis: -1, name: ctx.layerName() }).apply(values.map((v) => v.tensor)) as tf.SymbolicTensor;
    const [first, ...more] = masks;
    if (!first) return { out: { tensor } };
    if (more.length === 0) return { out: { tensor, mask: first } };
    return { out: { tensor, mask: tf.layers.multiply({ name: ctx.layerName('mask') }).apply(masks) as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const values = ctx.inputs.inputs ?? [];
    const masks = distinct(values.map((v) => v.mask));
    const [only] = values;
    if (values.length === 1 && only) return { out: { tensor: only.tensor, ...(only.mask ? { mask: only.mask } : {}) } };
    const layer = `tf.layers.concatenate({ name: ${str(ctx.layerName())}, axis: -1 })`;
    const tensor = ctx.declare(ctx.valueName(), applied(layer, values.map((v) => v.tensor)));
    const [first, ...more] = masks;
    if (!first) return { out: { tensor } };
    if (more.length === 0) return { out: { tensor, mask: first } };
    const product = `tf.layers.multiply({ name: ${str(ctx.layerName('mask'))} })`;
    return { out: { tensor, mask: ctx.declare(ctx.valueName('mask'), applied(product, masks)) } };
  },
  torch: (ctx) => {
    const values = ctx.inputs.inputs ?? [];
    const masks = distinct(values.map((v) => v.mask));
    const [only] = values;
    if (values.length === 1 && only) return { out: { tensor: only.tensor, ...(only.mask ? { mask: only.mask } : {}) } };
    ctx.layerName();
    const tensor = ctx.declare(ctx.valueName(), `torch.cat([${values.map((v) => v.tensor).join(', ')}], dim=-1)`);
    const [first, ...more] = masks;
    if (!first) return { out: { tensor } };
    if (more.length === 0) return { out: { tensor, mask: first } };
    ctx.layerName('mask');
    return { out: { tensor, mask: ctx.declare(ctx.valueName('mask'), masks.join(' * ')) } };
  },
});

/** A masked [length, d]: embeddings of an id sequence, its padding mask carried along. */
const isSequence = (t: TensorInfo): boolean => t.shape.length === 2 && t.masked;

const kindOf = (t: TensorInfo): string =>
  `${t.shape.length === 1 ? 'vector' : isSequence(t) ? 'sequence' : 'tensor'} ${formatShape(t.shape)}`;

/** The masks of the inputs, each once (a mask is 0/1, so a repeat would change nothing), in edge order. */
const distinct = <T>(masks: readonly (T | undefined)[]): T[] =>
  masks.filter((m, i): m is T => m !== undefined && masks.indexOf(m) === i);

/** Sequences [L, dᵢ] of one length L → [L, Σdᵢ], masked; anything else among them is reported. */
function joinSequences(ctx: InferContext<unknown>, inputs: readonly TensorInfo[]): InferResult {
  // Stacked experts (an unmasked [n, d]) and other ranks get the message they get among vectors.
  const strays = inputs.filter((t) => t.shape.length !== 1 && !isSequence(t));
  if (strays.length > 0) {
    strays.forEach((t) => vectorWidth(ctx, 'inputs', t));
    return undefined;
  }
  const listed = inputs.map(kindOf).join(', ');
  if (inputs.some((t) => t.shape.length === 1)) {
    ctx.error(
      'E_SHAPE_MISMATCH',
      `concat joins vectors, or sequences position by position, not both; got ${listed} — pool the sequence first (attention or pooling node) to join it to vectors, or join the vectors in a concat of their own (a vector is not repeated along the positions)`,
      'inputs',
    );
    return undefined;
  }
  const length = inputs[0]?.shape[0];
  if (length === undefined) return undefined;
  if (inputs.some((t) => t.shape[0] !== length)) {
    ctx.error(
      'E_SHAPE_MISMATCH',
      `concat joins sequences position by position, so they need one length; got ${listed} — give the sequence inputs the same maxLength`,
      'inputs',
    );
    return undefined;
  }
  const width = inputs.reduce((sum, t) => sum + (t.shape[1] ?? 0), 0);
  return { out: { type: 'float', shape: [length, width], masked: true } };
}

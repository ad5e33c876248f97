import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode, type WeightSpec } from './define-node';
import { DinActivationUnit } from '../compile/layers/din-activation-unit';
import { WeightedSum } from '../compile/layers/weighted-sum';
import { formatShape } from './tensor';
import { hiddenActivation, isParametric } from './shared/params';
import { single } from './shared/infer-helpers';
import { applied, literal, obj, str } from '../codegen/source';
import { pyBool, pyLiteral, pyNum, pyStr } from '../codegen/python/source';
import { torchActivation, torchActivationWeights } from '../codegen/python/layers';

/** DIN's attention: the candidate (query) weighs each history item (keys), then the history is pooled. */
export const attention = defineNode({
  kind: 'attention',
  title: 'DIN attention',
  category: 'Layers',
  description: 'Scores each history item against the candidate with a small MLP on [q, k, q−k, q⊙k] and pools the history by those scores.',
  params: z.object({
    hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8).default([80, 40]).describe('Hidden widths of the activation unit.'),
    activation: hiddenActivation('sigmoid'),
    softmax: z.boolean().default(false).describe('Normalise scores with a softmax over real positions (the DIN paper does not).'),
  }),
  inputs: [
    { id: 'query', label: 'query', type: 'float', description: 'The candidate embedding [d].' },
    { id: 'keys', label: 'keys', type: 'float', description: 'The history embeddings [length, d], with their padding mask.' },
  ],
  outputs: [
    { id: 'out', label: 'out', type: 'float', description: 'The attention-pooled history [d].' },
    { id: 'scores', label: 'scores', type: 'float', optional: true, description: 'The weight of each history position [length].' },
  ],
  infer: (ctx) => {
    const query = single(ctx, 'query');
    const keys = single(ctx, 'keys');
    if (!query || !keys) return undefined;
    if (query.shape.length !== 1) {
      ctx.error('E_SHAPE_RANK', `port "query" takes a vector [d] but receives ${formatShape(query.shape)}`, 'query');
      return undefined;
    }
    if (keys.shape.length !== 2) {
      ctx.error('E_SHAPE_RANK', `port "keys" takes a sequence [length, d] but receives ${formatShape(keys.shape)}`, 'keys');
      return undefined;
    }
    const [length, d] = keys.shape as [number, number];
    if (query.shape[0] !== d) {
      ctx.error(
        'E_SHAPE_MISMATCH',
        `query ${formatShape(query.shape)} and keys ${formatShape(keys.shape)} must share the embedding width`,
        'keys',
      );
      return undefined;
    }
    return {
      out: { type: 'float', shape: [d], masked: false },
      scores: { type: 'float', shape: [length], masked: false },
    };
  },
  weights: ({ params, inputs }) => {
    let width = 4 * (inputs.query?.[0]?.shape[0] ?? 0);
    // Per hidden layer, PReLU's α, or Dice's α, moving mean and moving variance (the last two not trained by gradients).
    const vectors = params.activation === 'prelu' ? [true] : params.activation === 'dice' ? [true, false, false] : [];
    return [...params.hidden, 1].flatMap((units, i) => {
      const layer: WeightSpec[] = [{ shape: [width, units] }, { shape: [units] }];
      width = units;
      return i < params.hidden.length ? [...layer, ...vectors.map((trainable): WeightSpec => (trainable ? { shape: [units] } : { shape: [units], trainable: false }))] : layer;
    });
  },
  build: (ctx) => {
    const query = ctx.inputs.query?.[0];
    const keys = ctx.inputs.keys?.[0];
    if (!query || !keys) throw new Error('Bug: attention built without inputs');
    const mask = keys.mask;
    const unit = new DinActivationUnit({
      name: ctx.layerName('unit'),
      hidden: ctx.params.hidden,
      activation: ctx.params.activation,
      softmax: ctx.params.softmax,
      seed: ctx.nextSeed(),
    });
    if (!mask) throw new Error('Bug: attention keys carry no padding mask');
    const scores = unit.apply([query.tensor, keys.tensor, mask]) as tf.SymbolicTensor;
    const pooled = new WeightedSum({ name: ctx.layerName('pool') }).apply([scores, keys.tensor]) as tf.SymbolicTensor;
    return { out: { tensor: pooled }, scores: { tensor: scores } };
  },
  emit: (ctx) => {
    const query = ctx.inputs.query?.[0];
    const keys = ctx.inputs.keys?.[0];
    if (!query || !keys?.mask) throw new Error('Bug: attention emitted without inputs or padding mask');
    const unit = `new ${ctx.customLayer(DinActivationUnit)}(${obj({
      name: str(ctx.layerName('unit')),
      hidden: literal(ctx.params.hidden),
      activation: str(ctx.params.activation),
      softmax: String(ctx.params.softmax),
      seed: ctx.nextSeed(),
    })})`;
    const scores = ctx.declare(ctx.valueName('scores'), applied(unit, [query.tensor, keys.tensor, keys.mask]));
    const pool = `new ${ctx.customLayer(WeightedSum)}(${obj({ name: str(ctx.layerName('pool')) })})`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(pool, [scores, keys.tensor])) }, scores: { tensor: scores } };
  },
  torch: (ctx) => {
    const query = ctx.inputs.query?.[0];
    const keys = ctx.inputs.keys?.[0];
    if (!query || !keys?.mask) throw new Error('Bug: attention emitted without inputs or padding mask');
    const { hidden, activation, softmax } = ctx.params;
    // A plain activation goes by name; PReLU and Dice as one module per hidden layer, holding its α (and Dice's statistics).
    const activations = isParametric(activation) ? `[${hidden.map((units) => torchActivation(ctx, activation, units)).join(', ')}]` : pyStr(activation);
    const unit = ctx.layer(
      ctx.layerName('unit'),
      `${ctx.helper('DinActivationUnit')}(${pyNum(query.shape?.[0] ?? 0)}, ${pyLiteral(hidden)}, ${activations}, ${pyBool(softmax)})`,
      {
        // tfjs kernel_i [in, out] is the unit's i-th Linear, transposed; alpha_i etc. the i-th activation module's.
        weights: [...hidden, 1].flatMap((_, i) => [
          { tfjs: `kernel_${i}`, torch: `layers.${i}.weight`, transpose: true },
          { tfjs: `bias_${i}`, torch: `layers.${i}.bias` },
          ...(i < hidden.length && isParametric(activation) ? torchActivationWeights(activation, `_${i}`, `activations.${i}.`) : []),
        ]),
      },
    );
    const scores = ctx.declare(ctx.valueName('scores'), `${unit}(${query.tensor}, ${keys.tensor}, ${keys.mask})`);
    ctx.layerName('pool');
    return { out: { tensor: ctx.declare(ctx.valueName(), `${ctx.helper('weighted_sum')}(${scores}, ${keys.tensor})`) }, scores: { tensor: scores } };
  },
});

import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { StackExperts } from '../compile/layers/stack-experts';
import { applyMlp, emitMlp, mlpWeights } from './shared/mlp-stack';
import { applied, literal, obj, str } from '../codegen/source';
import { activation, batchNorm, dropout, l2, unitsList } from './shared/params';
import { single, vectorWidth } from './shared/infer-helpers';
import { torchMlp } from '../codegen/python/layers';
import { pyNum } from '../codegen/python/source';

/**
 * One or more experts with the same architecture. With `count` > 1 the experts come out stacked,
 * [count, units], so "8 shared experts" is one node and one edge into each gate.
 *
 * One-layer experts (the MMoE/PLE papers' kind) are computed as ONE dense layer of count × units
 * reshaped to [count, units]: the same function as separate layers (each expert owns its slice of
 * the kernel), but one matMul instead of `count`. Measured in `npm run bench` (bench/results):
 * +12–25 % training samples per CPU-second on both cpu and wasm, where a batched matMul over
 * [count, in, units] kernels lost 42 % on wasm — so one layout serves every backend. Deeper experts
 * would need block-diagonal kernels, so they stay separate layers, stacked.
 */
export const expert = defineNode({
  kind: 'expert',
  title: 'Expert',
  category: 'Multi-task',
  description: 'Expert network(s) for MoE models: an MLP, repeated `count` times with separate weights.',
  params: z.object({
    count: z.number().int().min(1).max(256).default(1).describe('How many experts of this architecture.'),
    units: unitsList([16]),
    activation: activation(),
    dropout,
    batchNorm,
    l2,
  }),
  inputs: [{ id: 'in', label: 'in', type: 'float', description: 'Input vector [n].' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: '[units] for one expert, [count, units] for several.' }],
  infer: (ctx) => {
    const input = single(ctx, 'in');
    if (!input || vectorWidth(ctx, 'in', input) === undefined) return undefined;
    const units = ctx.params.units.at(-1) ?? 0;
    return { out: { type: 'float', shape: ctx.params.count === 1 ? [units] : [ctx.params.count, units], masked: false } };
  },
  weights: ({ params, inputs }) => {
    const width = inputs.in?.[0]?.shape[0] ?? 0;
    if (params.count === 1) return mlpWeights(width, params);
    const fused = fusedLayout(params, width);
    if (fused) return mlpWeights(width, fused.spec);
    return Array.from({ length: params.count }, () => mlpWeights(width, params)).flat();
  },
  build: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: expert built without input');
    if (ctx.params.count === 1) return { out: { tensor: applyMlp(ctx, x.tensor, ctx.params, '') } };
    const fused = fusedLayout(ctx.params, x.tensor.shape.at(-1));
    if (fused) {
      const wide = applyMlp(ctx, x.tensor, fused.spec, '');
      return { out: { tensor: tf.layers.reshape({ targetShape: fused.shape, name: ctx.layerName('stack') }).apply(wide) as tf.SymbolicTensor } };
    }
    const experts = Array.from({ length: ctx.params.count }, (_, i) => applyMlp(ctx, x.tensor, ctx.params, `${i}_`));
    return { out: { tensor: new StackExperts({ name: ctx.layerName('stack') }).apply(experts) as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: expert emitted without input');
    if (ctx.params.count === 1) return { out: { tensor: emitMlp(ctx, x.tensor, ctx.params, '', ctx.valueName()) } };
    const fused = fusedLayout(ctx.params, x.shape?.at(-1));
    if (fused) {
      const wide = emitMlp(ctx, x.tensor, fused.spec, '', ctx.valueName('all'));
      const reshape = `tf.layers.reshape(${obj({ name: str(ctx.layerName('stack')), targetShape: literal(fused.shape) })})`;
      return { out: { tensor: ctx.declare(ctx.valueName(), applied(reshape, wide)) } };
    }
    const experts = Array.from({ length: ctx.params.count }, (_, i) => emitMlp(ctx, x.tensor, ctx.params, `${i}_`, ctx.valueName(String(i))));
    const stack = `new ${ctx.customLayer(StackExperts)}(${obj({ name: str(ctx.layerName('stack')) })})`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(stack, experts)) } };
  },
  torch: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: expert emitted without input');
    const width = x.shape?.[0] ?? 0;
    if (ctx.params.count === 1) return { out: { tensor: torchMlp(ctx, x.tensor, width, ctx.params, '', ctx.valueName()) } };
    const fused = fusedLayout(ctx.params, x.shape?.at(-1));
    if (fused) {
      // One Linear of count × units, each expert its slice of the outputs: [B, count · units] → [B, count, units].
      const wide = torchMlp(ctx, x.tensor, width, fused.spec, '', ctx.valueName('all'));
      ctx.layerName('stack');
      return { out: { tensor: ctx.declare(ctx.valueName(), `${wide}.reshape(-1, ${pyNum(fused.shape[0])}, ${pyNum(fused.shape[1])})`) } };
    }
    const experts = Array.from({ length: ctx.params.count }, (_, i) => torchMlp(ctx, x.tensor, width, ctx.params, `${i}_`, ctx.valueName(String(i))));
    ctx.layerName('stack');
    return { out: { tensor: ctx.declare(ctx.valueName(), `torch.stack([${experts.join(', ')}], dim=1)`) } };
  },
});

/** The one-layer fused layout, when it applies: one dense of count × units, each expert Glorot-scaled on its own width. */
function fusedLayout<P extends { count: number; units: number[] }>(params: P, inputWidth: number | null | undefined): { spec: P & { uniformLimit: number }; shape: [number, number] } | undefined {
  const [units, ...deeper] = params.units;
  if (params.count < 2 || units === undefined || deeper.length > 0 || typeof inputWidth !== 'number') return undefined;
  return { spec: { ...params, units: [params.count * units], uniformLimit: Math.sqrt(6 / (inputWidth + units)) }, shape: [params.count, units] };
}

import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { StackExperts } from '../compile/layers/stack-experts';
import { applyMlp, emitMlp } from './shared/mlp-stack';
import { applied, obj, str } from '../codegen/source';
import { activation, batchNorm, dropout, l2, unitsList } from './shared/params';
import { single, vectorWidth } from './shared/infer-helpers';

/**
 * One or more experts with the same architecture. With `count` > 1 the experts come out stacked,
 * [count, units], so "8 shared experts" is one node and one edge into each gate.
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
  build: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: expert built without input');
    if (ctx.params.count === 1) return { out: { tensor: applyMlp(ctx, x.tensor, ctx.params, '') } };
    const experts = Array.from({ length: ctx.params.count }, (_, i) => applyMlp(ctx, x.tensor, ctx.params, `${i}_`));
    return { out: { tensor: new StackExperts({ name: ctx.layerName('stack') }).apply(experts) as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const x = ctx.inputs.in?.[0];
    if (!x) throw new Error('Bug: expert emitted without input');
    if (ctx.params.count === 1) return { out: { tensor: emitMlp(ctx, x.tensor, ctx.params, '', ctx.valueName()) } };
    const experts = Array.from({ length: ctx.params.count }, (_, i) => emitMlp(ctx, x.tensor, ctx.params, `${i}_`, ctx.valueName(String(i))));
    const stack = `new ${ctx.customLayer(StackExperts)}(${obj({ name: str(ctx.layerName('stack')) })})`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(stack, experts)) } };
  },
});

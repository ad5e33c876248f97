import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { GateMixture } from '../compile/layers/gate-mixture';
import { applied, num, obj, str } from '../codegen/source';
import { formatShape } from './tensor';
import { single, vectorWidth } from './shared/infer-helpers';
import { torchLinear } from '../codegen/python/layers';

/**
 * A gating network: softmax(W·selector) weighs the experts, output Σ_i w_i · expert_i.
 * MMoE has one per task; OMoE one for all tasks; CGC/PLE gates see their task's experts plus the
 * shared ones, which is simply which expert edges are drawn into them.
 */
export const gate = defineNode({
  kind: 'gate',
  title: 'Gate',
  category: 'Multi-task',
  description: 'Softmax gate over experts, selected by an input vector; outputs the weighted sum of the experts.',
  params: z.object({
    useBias: z.boolean().default(false).describe('Add a bias to the gate logits (the MMoE paper uses none).'),
  }),
  inputs: [
    { id: 'selector', label: 'selector', type: 'float', description: 'Vector [s] the gate weights are computed from.' },
    {
      id: 'experts',
      label: 'experts',
      type: 'float',
      multi: true,
      description: 'Experts to mix: [d] each, or [n, d] for a stacked expert node. All must have the same width d.',
    },
  ],
  outputs: [
    { id: 'out', label: 'out', type: 'float', description: 'Mixture of the experts [d].' },
    { id: 'weights', label: 'weights', type: 'float', optional: true, description: 'The gate weights over the experts [E].' },
  ],
  infer: (ctx) => {
    const selector = single(ctx, 'selector');
    const selectorOk = selector !== undefined && vectorWidth(ctx, 'selector', selector) !== undefined;
    const experts = ctx.inputs.experts ?? [];
    let total = 0;
    const widths: number[] = [];
    for (const e of experts) {
      if (e.shape.length !== 1 && e.shape.length !== 2) {
        ctx.error('E_SHAPE_RANK', `port "experts" takes [d] or [n, d] tensors but receives ${formatShape(e.shape)}`, 'experts');
        return undefined;
      }
      total += e.shape.length === 2 ? (e.shape[0] ?? 0) : 1;
      widths.push(e.shape.at(-1) ?? 0);
    }
    const width = widths[0];
    if (width === undefined) return undefined;
    if (widths.some((w) => w !== width)) {
      const listed = experts.map((e) => formatShape(e.shape)).join(', ');
      ctx.error('E_GATE_WIDTH', `experts mixed by a gate must have the same width; got ${listed}`, 'experts');
      return undefined;
    }
    if (!selectorOk) return undefined;
    return {
      out: { type: 'float', shape: [width], masked: false },
      weights: { type: 'float', shape: [total], masked: false },
    };
  },
  weights: ({ params, inputs }) => {
    const total = (inputs.experts ?? []).reduce((sum, e) => sum + (e.shape.length === 2 ? (e.shape[0] ?? 0) : 1), 0);
    const kernel = { shape: [inputs.selector?.[0]?.shape[0] ?? 0, total] };
    return params.useBias ? [kernel, { shape: [total] }] : [kernel];
  },
  build: (ctx) => {
    const selector = ctx.inputs.selector?.[0];
    const experts = ctx.inputs.experts ?? [];
    const total = ctx.outputs.weights?.shape[0];
    if (!selector || total === undefined) throw new Error('Bug: gate built without selector or experts');
    const weights = tf.layers
      .dense({
        units: total,
        activation: 'softmax',
        useBias: ctx.params.useBias,
        kernelInitializer: tf.initializers.glorotUniform({ seed: ctx.nextSeed() }),
        name: ctx.layerName('weights'),
      })
      .apply(selector.tensor) as tf.SymbolicTensor;
    const mixture = new GateMixture({ name: ctx.layerName('mix') }).apply([weights, ...experts.map((e) => e.tensor)]) as tf.SymbolicTensor;
    return { out: { tensor: mixture }, weights: { tensor: weights } };
  },
  emit: (ctx) => {
    const selector = ctx.inputs.selector?.[0];
    const experts = ctx.inputs.experts ?? [];
    const total = ctx.outputs.weights?.shape[0];
    if (!selector || total === undefined) throw new Error('Bug: gate emitted without selector or experts');
    const seed = ctx.seedOptions();
    const weightsName = ctx.layerName('weights');
    const dense = `tf.layers.dense(${obj({
      name: str(weightsName),
      units: num(total),
      activation: str('softmax'),
      useBias: String(ctx.params.useBias),
      kernelInitializer: `tf.initializers.glorotUniform(${seed})`,
    })})`;
    const weights = ctx.declare(ctx.valueName('weights'), applied(dense, selector.tensor));
    const mix = `new ${ctx.customLayer(GateMixture)}(${obj({ name: str(ctx.layerName('mix')) })})`;
    const mixture = ctx.declare(ctx.valueName(), applied(mix, [weights, ...experts.map((e) => e.tensor)]));
    return { out: { tensor: mixture }, weights: { tensor: weights } };
  },
  torch: (ctx) => {
    const selector = ctx.inputs.selector?.[0];
    const experts = ctx.inputs.experts ?? [];
    const total = ctx.outputs.weights?.shape[0];
    if (!selector || total === undefined) throw new Error('Bug: gate emitted without selector or experts');
    const dense = torchLinear(ctx, ctx.layerName('weights'), selector.shape?.[0] ?? 0, total, { bias: ctx.params.useBias });
    const weights = ctx.declare(ctx.valueName('weights'), `torch.softmax(${dense}(${selector.tensor}), dim=-1)`);
    ctx.layerName('mix');
    const mixture = ctx.declare(ctx.valueName(), `${ctx.helper('gate_mixture')}(${weights}, [${experts.map((e) => e.tensor).join(', ')}])`);
    return { out: { tensor: mixture }, weights: { tensor: weights } };
  },
});

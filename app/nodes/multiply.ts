import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { formatShape, sameShape } from './tensor';
import { applied, str } from '../codegen/source';

/** Element-wise product: ESMM's pCTCVR = pCTR × pCVR. */
export const multiply = defineNode({
  kind: 'multiply',
  title: 'Multiply',
  category: 'Layers',
  description: 'Element-wise product of tensors of the same shape, e.g. pCTCVR = pCTR × pCVR in ESMM.',
  params: z.object({}),
  inputs: [{ id: 'inputs', label: 'inputs', type: 'float', multi: true, description: 'Two or more tensors of one shape.' }],
  outputs: [{ id: 'out', label: 'out', type: 'float', description: 'The product, same shape as the inputs.' }],
  infer: (ctx) => {
    const inputs = ctx.inputs.inputs ?? [];
    const first = inputs[0];
    if (!first) return undefined;
    if (inputs.length < 2) {
      ctx.error('E_PORT_REQUIRED', 'multiply needs at least two inputs', 'inputs');
      return undefined;
    }
    const other = inputs.find((t) => !sameShape(t.shape, first.shape));
    if (other) {
      ctx.error('E_SHAPE_MISMATCH', `multiply needs equal shapes; got ${formatShape(first.shape)} and ${formatShape(other.shape)}`, 'inputs');
      return undefined;
    }
    return { out: { type: 'float', shape: [...first.shape], masked: false } };
  },
  build: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    return { out: { tensor: tf.layers.multiply({ name: ctx.layerName() }).apply(parts) as tf.SymbolicTensor } };
  },
  emit: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    const layer = `tf.layers.multiply({ name: ${str(ctx.layerName())} })`;
    return { out: { tensor: ctx.declare(ctx.valueName(), applied(layer, parts)) } };
  },
  torch: (ctx) => {
    const parts = (ctx.inputs.inputs ?? []).map((v) => v.tensor);
    ctx.layerName();
    return { out: { tensor: ctx.declare(ctx.valueName(), parts.join(' * ')) } };
  },
});

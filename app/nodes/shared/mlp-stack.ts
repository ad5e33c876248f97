import * as tf from '@tensorflow/tfjs';
import { isParametric, type HiddenActivation, type ParametricActivation } from './params';
import type { BuildContext, EmitContext, WeightSpec } from '../define-node';
import { Dice } from '../../compile/layers/dice';
import { applied, num, obj, str } from '../../codegen/source';

export interface MlpSpec {
  units: number[];
  /** prelu and dice are layers of their own (`act_i`), after the linear dense layer (and batch norm). */
  activation: HiddenActivation;
  dropout: number;
  batchNorm: boolean;
  l2?: number;
  /**
   * Kernel init as uniform(±limit) instead of Glorot. A layer that holds several experts side by
   * side uses it to give each expert the Glorot scale of its own width, not of the fused width.
   */
  uniformLimit?: number;
}

/** Vectors [units] a parametric activation layer holds, trained or not: PReLU its α; Dice its α, moving mean and moving variance. */
const ACTIVATION_VECTORS: Record<ParametricActivation, boolean[]> = { prelu: [true], dice: [true, false, false] };

/**
 * The weights applyMlp creates on an input `width` wide: kernel and bias per layer, four vectors per
 * batch norm, and those of a PReLU or Dice activation.
 */
export function mlpWeights(width: number, spec: Pick<MlpSpec, 'units' | 'batchNorm' | 'activation'>): WeightSpec[] {
  let previous = width;
  // Per vector, whether gradients train it: gamma, beta, moving mean, moving variance; then alpha (and Dice's moving mean and variance).
  const vectors = [...(spec.batchNorm ? [true, true, false, false] : []), ...(isParametric(spec.activation) ? ACTIVATION_VECTORS[spec.activation] : [])];
  return spec.units.flatMap((units) => {
    const layer: WeightSpec[] = [{ shape: [previous, units] }, { shape: [units] }];
    previous = units;
    return [...layer, ...vectors.map((trainable): WeightSpec => (trainable ? { shape: [units] } : { shape: [units], trainable: false }))];
  });
}

/** The layer of a parametric activation: tfjs's PReLU (α per unit, from 0, as Keras/DeepCTR) or Towerflow's Dice. */
function activationLayer(activation: ParametricActivation, name: string): tf.layers.Layer {
  return activation === 'prelu' ? tf.layers.prelu({ name, alphaInitializer: 'zeros' }) : new Dice({ name });
}

/**
 * Dense → (batch norm) → activation → (dropout), per layer. Batch norm sits between the affine map
 * and the activation, as in the DeepCTR/Keras recipes the templates are compared with. A plain
 * activation is the dense layer's own unless batch norm comes between; PReLU and Dice are always a
 * layer `act_i` of their own, after a linear dense layer (DeepCTR's DNN does the same).
 */
export function applyMlp(
  ctx: BuildContext<unknown>,
  x: tf.SymbolicTensor,
  spec: MlpSpec,
  prefix: string,
): tf.SymbolicTensor {
  let h = x;
  const { activation } = spec;
  spec.units.forEach((units, i) => {
    const seed = ctx.nextSeed();
    h = tf.layers
      .dense({
        units,
        activation: spec.batchNorm || isParametric(activation) ? 'linear' : activation,
        kernelInitializer:
          spec.uniformLimit === undefined
            ? tf.initializers.glorotUniform({ seed })
            : tf.initializers.randomUniform({ minval: -spec.uniformLimit, maxval: spec.uniformLimit, seed }),
        kernelRegularizer: spec.l2 ? tf.regularizers.l2({ l2: spec.l2 }) : undefined,
        name: ctx.layerName(`${prefix}dense_${i}`),
      })
      .apply(h) as tf.SymbolicTensor;
    if (spec.batchNorm) {
      h = tf.layers.batchNormalization({ name: ctx.layerName(`${prefix}bn_${i}`) }).apply(h) as tf.SymbolicTensor;
    }
    if (isParametric(activation)) {
      h = activationLayer(activation, ctx.layerName(`${prefix}act_${i}`)).apply(h) as tf.SymbolicTensor;
    } else if (spec.batchNorm && activation !== 'linear') {
      h = tf.layers.activation({ activation, name: ctx.layerName(`${prefix}act_${i}`) }).apply(h) as tf.SymbolicTensor;
    }
    if (spec.dropout > 0) {
      h = tf.layers.dropout({ rate: spec.dropout, seed: ctx.nextSeed(), name: ctx.layerName(`${prefix}dropout_${i}`) }).apply(h) as tf.SymbolicTensor;
    }
  });
  return h;
}

/**
 * The code of applyMlp: the same layers, names and seeds, written as `const` statements. The last
 * layer's output is named `finalName` (the node's own name), the others after their layers.
 */
export function emitMlp(ctx: EmitContext<unknown>, x: string, spec: MlpSpec, prefix: string, finalName: string): string {
  const layers: { name: string; code: string }[] = [];
  const { activation } = spec;
  spec.units.forEach((units, i) => {
    const seed = ctx.seedOptions();
    const dense = ctx.layerName(`${prefix}dense_${i}`);
    const options = obj({
      name: str(dense),
      units: num(units),
      activation: str(spec.batchNorm || isParametric(activation) ? 'linear' : activation),
      kernelInitializer:
        spec.uniformLimit === undefined
          ? `tf.initializers.glorotUniform(${seed})`
          : `tf.initializers.randomUniform({ minval: ${num(-spec.uniformLimit)}, maxval: ${num(spec.uniformLimit)}, ...${seed} })`,
      kernelRegularizer: spec.l2 ? `tf.regularizers.l2({ l2: ${num(spec.l2)} })` : undefined,
    });
    layers.push({ name: dense, code: `tf.layers.dense(${options})` });
    if (spec.batchNorm) {
      const bn = ctx.layerName(`${prefix}bn_${i}`);
      layers.push({ name: bn, code: `tf.layers.batchNormalization({ name: ${str(bn)} })` });
    }
    if (isParametric(activation)) {
      const act = ctx.layerName(`${prefix}act_${i}`);
      const code = activation === 'prelu' ? `tf.layers.prelu({ name: ${str(act)}, alphaInitializer: 'zeros' })` : `new ${ctx.customLayer(Dice)}({ name: ${str(act)} })`;
      layers.push({ name: act, code });
    } else if (spec.batchNorm && activation !== 'linear') {
      const act = ctx.layerName(`${prefix}act_${i}`);
      layers.push({ name: act, code: `tf.layers.activation({ name: ${str(act)}, activation: ${str(activation)} })` });
    }
    if (spec.dropout > 0) {
      const dropoutSeed = ctx.seedOptions();
      const drop = ctx.layerName(`${prefix}dropout_${i}`);
      layers.push({ name: drop, code: `tf.layers.dropout({ name: ${str(drop)}, rate: ${num(spec.dropout)}, ...${dropoutSeed} })` });
    }
  });
  return layers.reduce((h, layer, i) => ctx.declare(i === layers.length - 1 ? finalName : layer.name, applied(layer.code, h)), x);
}

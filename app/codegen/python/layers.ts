import type { TorchContext, TorchWeight } from '../../nodes/define-node';
import type { MlpSpec } from '../../nodes/shared/mlp-stack';
import { isParametric, type ParametricActivation } from '../../nodes/shared/params';
import { pyNum } from './source';

/** `torch.relu(x)` for a graph's activation name: written out inline, so forward reads as the math. */
export function applyActivation(name: string, x: string): string {
  switch (name) {
    case 'prelu':
    case 'dice':
      throw new Error(`Bug: activation "${name}" learns α per unit, so it is a module (torchActivation), not a function`);
    case 'relu':
      return `torch.relu(${x})`;
    case 'elu':
      return `F.elu(${x})`;
    case 'selu':
      return `torch.selu(${x})`;
    case 'tanh':
      return `torch.tanh(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'swish':
      return `F.silu(${x})`;
    case 'softmax':
      return `torch.softmax(${x}, dim=-1)`;
    case 'linear':
      return x;
    default:
      throw new Error(`Bug: no PyTorch form for activation "${name}"`);
  }
}

export interface LinearSpec {
  bias?: boolean;
  /** Glorot uniform (tfjs glorotUniform, torch xavier_uniform_) or uniform(±limit). */
  uniformLimit?: number;
  l2?: number;
}

/**
 * A tfjs dense layer as nn.Linear named after it: kernel [in, out] loads transposed into weight
 * [out, in]; the bias starts at zero as in tfjs (nn.Linear's own default init differs).
 */
export function torchLinear(ctx: TorchContext<unknown>, layer: string, inWidth: number, units: number, spec: LinearSpec = {}): string {
  const bias = spec.bias ?? true;
  const init = [
    spec.uniformLimit === undefined ? 'nn.init.xavier_uniform_({}.weight)' : `nn.init.uniform_({}.weight, ${pyNum(-spec.uniformLimit)}, ${pyNum(spec.uniformLimit)})`,
    ...(bias ? ['nn.init.zeros_({}.bias)'] : []),
  ];
  return ctx.layer(layer, `nn.Linear(${pyNum(inWidth)}, ${pyNum(units)}${bias ? '' : ', bias=False'})`, {
    init,
    weights: [{ tfjs: 'kernel', torch: 'weight', transpose: true }, ...(bias ? [{ tfjs: 'bias', torch: 'bias' }] : [])],
    ...(spec.l2 ? { l2: [{ torch: 'weight', l2: spec.l2 }] } : {}),
  });
}

/** tfjs batchNormalization's defaults: epsilon 1e-3, moving averages kept with momentum 0.99 (torch counts 1 − that). */
export function torchBatchNorm(ctx: TorchContext<unknown>, layer: string, units: number): string {
  return ctx.layer(layer, `nn.BatchNorm1d(${pyNum(units)}, eps=1e-3, momentum=0.01)`, {
    weights: [
      { tfjs: 'gamma', torch: 'weight' },
      { tfjs: 'beta', torch: 'bias' },
      { tfjs: 'moving_mean', torch: 'running_mean' },
      { tfjs: 'moving_variance', torch: 'running_var' },
    ],
  });
}

/**
 * The module of a parametric activation on [N, units] (tfjs: tf.layers.prelu, Dice), e.g.
 * `nn.PReLU(80, init=0.0)`: α per unit, from 0 as in tfjs. Dice is a helper of model.py.
 */
export function torchActivation(ctx: TorchContext<unknown>, activation: ParametricActivation, units: number): string {
  return activation === 'prelu' ? `nn.PReLU(${pyNum(units)}, init=0.0)` : `${ctx.helper('Dice')}(${pyNum(units)})`;
}

/**
 * How a parametric activation's tfjs weights load into its module at `path` (`activations.0.`):
 * tfjs names them `alpha` (PReLU), `alpha`, `moving_mean`, `moving_variance` (Dice), with `suffix`
 * (`_0`) inside DinActivationUnit, which holds one set per hidden layer.
 */
export function torchActivationWeights(activation: ParametricActivation, suffix = '', path = ''): TorchWeight[] {
  if (activation === 'prelu') return [{ tfjs: `alpha${suffix}`, torch: `${path}weight` }];
  return [
    { tfjs: `alpha${suffix}`, torch: `${path}alpha` },
    { tfjs: `moving_mean${suffix}`, torch: `${path}running_mean` },
    { tfjs: `moving_variance${suffix}`, torch: `${path}running_var` },
  ];
}

/**
 * The PyTorch form of applyMlp (app/nodes/shared/mlp-stack.ts): dense → (batch norm) → activation →
 * (dropout) per layer, the same layer names in the same order (PReLU and Dice submodules `act_i`).
 * The last value is named `finalName`.
 */
export function torchMlp(ctx: TorchContext<unknown>, x: string, width: number, spec: MlpSpec, prefix: string, finalName: string): string {
  const steps: { name: string; apply: (h: string) => string }[] = [];
  let previous = width;
  spec.units.forEach((units, i) => {
    const dense = ctx.layerName(`${prefix}dense_${i}`);
    const linear = torchLinear(ctx, dense, previous, units, { ...(spec.uniformLimit === undefined ? {} : { uniformLimit: spec.uniformLimit }), ...(spec.l2 ? { l2: spec.l2 } : {}) });
    previous = units;
    const activation = spec.activation;
    const separate = spec.batchNorm || isParametric(activation);
    steps.push({ name: dense, apply: (h) => (separate ? `${linear}(${h})` : applyActivation(activation, `${linear}(${h})`)) });
    if (spec.batchNorm) {
      const bnName = ctx.layerName(`${prefix}bn_${i}`);
      const bn = torchBatchNorm(ctx, bnName, units);
      steps.push({ name: bnName, apply: (h) => `${bn}(${h})` });
    }
    if (isParametric(activation)) {
      const actName = ctx.layerName(`${prefix}act_${i}`);
      const act = ctx.layer(actName, torchActivation(ctx, activation, units), { weights: torchActivationWeights(activation) });
      steps.push({ name: actName, apply: (h) => `${act}(${h})` });
    } else if (spec.batchNorm && activation !== 'linear') {
      const act = ctx.layerName(`${prefix}act_${i}`);
      steps.push({ name: act, apply: (h) => applyActivation(activation, h) });
    }
    if (spec.dropout > 0) {
      const dropName = ctx.layerName(`${prefix}dropout_${i}`);
      const drop = ctx.layer(dropName, `nn.Dropout(${pyNum(spec.dropout)})`);
      steps.push({ name: dropName, apply: (h) => `${drop}(${h})` });
    }
  });
  return steps.reduce((h, step, i) => ctx.declare(i === steps.length - 1 ? finalName : step.name, step.apply(h)), x);
}

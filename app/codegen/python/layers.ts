import type { TorchContext } from '../../nodes/define-node';
import type { MlpSpec } from '../../nodes/shared/mlp-stack';
import { pyNum } from './source';

/** `torch.relu(x)` for a graph's activation name: written out inline, so forward reads as the math. */
export function applyActivation(name: string, x: string): string {
  switch (name) {
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
 * The PyTorch form of applyMlp (app/nodes/shared/mlp-stack.ts): dense → (batch norm) → activation →
 * (dropout) per layer, the same layer names in the same order. The last value is named `finalName`.
 */
export function torchMlp(ctx: TorchContext<unknown>, x: string, width: number, spec: MlpSpec, prefix: string, finalName: string): string {
  const steps: { name: string; apply: (h: string) => string }[] = [];
  let previous = width;
  spec.units.forEach((units, i) => {
    const dense = ctx.layerName(`${prefix}dense_${i}`);
    const linear = torchLinear(ctx, dense, previous, units, { ...(spec.uniformLimit === undefined ? {} : { uniformLimit: spec.uniformLimit }), ...(spec.l2 ? { l2: spec.l2 } : {}) });
    previous = units;
    const activation = spec.activation;
    steps.push({ name: dense, apply: (h) => (spec.batchNorm ? `${linear}(${h})` : applyActivation(activation, `${linear}(${h})`)) });
    if (spec.batchNorm) {
      const bnName = ctx.layerName(`${prefix}bn_${i}`);
      const bn = torchBatchNorm(ctx, bnName, units);
      steps.push({ name: bnName, apply: (h) => `${bn}(${h})` });
      if (activation !== 'linear') {
        const act = ctx.layerName(`${prefix}act_${i}`);
        steps.push({ name: act, apply: (h) => applyActivation(activation, h) });
      }
    }
    if (spec.dropout > 0) {
      const dropName = ctx.layerName(`${prefix}dropout_${i}`);
      const drop = ctx.layer(dropName, `nn.Dropout(${pyNum(spec.dropout)})`);
      steps.push({ name: dropName, apply: (h) => `${drop}(${h})` });
    }
  });
  return steps.reduce((h, step, i) => ctx.declare(i === steps.length - 1 ? finalName : step.name, step.apply(h)), x);
}

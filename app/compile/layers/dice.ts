import * as tf from '@tensorflow/tfjs';
import { dice, shapeList, toList, type BaseLayerArgs, type Kwargs } from './layer-base';

/**
 * Dice, the data-adaptive activation of DIN (Zhou et al. 2018), on [B, units] or [B, …, units]:
 * p(s)·s + (1 − p(s))·α·s, p(s) = sigmoid((s − E[s]) / √(Var[s] + 1e-9)), a PReLU whose bend
 * follows the distribution of its input (see `dice` in layer-base.ts). DeepCTR's Dice is the same
 * function (BatchNormalization(center=False, scale=False, epsilon=1e-9) → sigmoid → the mix).
 *
 * Weights, per unit: `alpha` (trained, starts at 0, as Keras's PReLU), and `moving_mean` (starts at
 * 0) and `moving_variance` (starts at 1), not trained by gradients: a training call
 * (`model.apply(x, { training: true })`, as app/train/session.ts and model.fit make) moves them
 * toward the batch's statistics, and inference uses them. All three are saved with the model.
 */
export class Dice extends tf.layers.Layer {
  static readonly className = 'TowerflowDice';
  private alpha?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = shapeList(inputShape)[0] ?? [];
    const units = shape[shape.length - 1];
    if (typeof units !== 'number' || shape.length < 2) throw new Error(`Dice needs an input [batch, …, units] with known units, got ${JSON.stringify(shape)}`);
    this.alpha = this.addWeight('alpha', [units], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [units], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [units], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return shapeList(inputShape)[0] ?? [];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [x] = toList(inputs);
      if (!x) throw new Error('Dice expects one input');
      if (!this.alpha || !this.movingMean || !this.movingVariance) throw new Error('Bug: Dice called before build');
      return dice(x, this.alpha, this.movingMean, this.movingVariance, kwargs.training === true);
    });
  }
}
tf.serialization.registerClass(Dice);

import * as tf from '@tensorflow/tfjs';

export interface BatchedExpertsArgs {
  count: number;
  units: number;
  seed?: number;
  name?: string;
}

/**
 * `count` one-layer relu experts held as one kernel [count, in, units] and one bias
 * [count, 1, units], applied with a single batched matMul: x [B, in] is tiled to [count, B, in],
 * times the kernel gives [count, B, units], transposed to the stacked layout [B, count, units].
 *
 * The tile is explicit because tfjs's BatchMatMul gradient does not sum over broadcast batch
 * dimensions (a broadcast [1, B, in] operand would get a gradient of the wrong shape); Tile's
 * gradient does the summing. Bench-only: never saved, so not registered for deserialisation.
 */
export class BatchedExperts extends tf.layers.Layer {
  static readonly className = 'BenchBatchedExperts';
  readonly count: number;
  readonly units: number;
  readonly seed: number | undefined;
  private kernel: tf.LayerVariable | undefined;
  private bias: tf.LayerVariable | undefined;

  constructor(args: BatchedExpertsArgs) {
    super(args.name === undefined ? {} : { name: args.name });
    this.count = args.count;
    this.units = args.units;
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = shape[shape.length - 1];
    if (typeof width !== 'number') throw new Error('BatchedExperts needs a known input width');
    // Glorot over one expert's [in, units], as each separate Dense expert would be initialised.
    const limit = Math.sqrt(6 / (width + this.units));
    const init = tf.initializers.randomUniform({ minval: -limit, maxval: limit, ...(this.seed === undefined ? {} : { seed: this.seed }) });
    this.kernel = this.addWeight('kernel', [this.count, width, this.units], 'float32', init);
    this.bias = this.addWeight('bias', [this.count, 1, this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.count, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!x || !this.kernel || !this.bias) throw new Error('BatchedExperts called before build or without input');
      const tiled = tf.tile(tf.expandDims(x, 0), [this.count, 1, 1]) as tf.Tensor3D;
      const h = tf.relu(tf.add(tf.matMul(tiled, this.kernel.read() as tf.Tensor3D), this.bias.read()));
      return tf.transpose(h, [1, 0, 2]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), count: this.count, units: this.units };
  }
}

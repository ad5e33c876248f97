import * as tf from '@tensorflow/tfjs';
import { toList, type BaseLayerArgs } from './layer-base';

export interface FusedEmbeddingArgs extends BaseLayerArgs {
  /** The logical tables, one per input column, in input order: their names and rows. */
  tables: { name: string; vocabSize: number }[];
  outputDim: number;
  /** Initializer seed of each table (null: random), so the weights start as separate tables would. */
  seeds: (number | null)[];
  /** L2 penalty on every row (the sum of the separate tables' penalties). */
  l2?: number;
}

/**
 * Several embedding tables of one width held as ONE weight [Σ vocab, dim], each table a block of
 * rows at its offset: columns' ids [B, 1] each → one gather of (id + offset) → [B, columns · dim].
 * The same function as one Embedding per column followed by Flatten and Concatenate (row r of
 * table t is row offset_t + r here), but one lookup, one gradient scatter and one optimizer slot
 * instead of one of each per column: the census MMoE's 32 tables cost ≈15 kernels each per
 * training step, most of its kernels on the CPU backends.
 *
 * Ids must lie in [0, vocab) of their own table, as the encoders guarantee (0 = missing/unseen,
 * hashing modulo the table size); an id past its table would read the next table's rows.
 */
export class FusedEmbedding extends tf.layers.Layer {
  static readonly className = 'TowerflowFusedEmbedding';
  readonly tables: { name: string; vocabSize: number }[];
  readonly outputDim: number;
  readonly seeds: (number | null)[];
  readonly l2: number;
  private readonly offsets: number[];
  private embeddings?: tf.LayerVariable;

  constructor(args: FusedEmbeddingArgs) {
    super(args);
    if (args.tables.length === 0) throw new Error('FusedEmbedding needs at least one table');
    if (args.seeds.length !== args.tables.length) throw new Error(`FusedEmbedding: ${args.seeds.length} seeds for ${args.tables.length} tables`);
    this.tables = args.tables.map((t) => ({ ...t }));
    this.outputDim = args.outputDim;
    this.seeds = [...args.seeds];
    this.l2 = args.l2 ?? 0;
    let offset = 0;
    this.offsets = this.tables.map((t) => {
      const at = offset;
      offset += t.vocabSize;
      return at;
    });
  }

  override build(): void {
    const rows = this.tables.reduce((n, t) => n + t.vocabSize, 0);
    this.embeddings = this.addWeight('embeddings', [rows, this.outputDim], 'float32', tf.initializers.zeros(), this.l2 > 0 ? tf.regularizers.l2({ l2: this.l2 }) : undefined);
    // Each table's block starts as that table alone would (uniform in [-0.05, 0.05], its own seed).
    const initial = tf.tidy(() =>
      tf.concat(
        this.tables.map((t, i) => {
          const seed = this.seeds[i];
          const uniform = tf.initializers.randomUniform(seed === null || seed === undefined ? { minval: -0.05, maxval: 0.05 } : { minval: -0.05, maxval: 0.05, seed });
          return uniform.apply([t.vocabSize, this.outputDim], 'float32');
        }),
      ),
    );
    this.embeddings.write(initial);
    initial.dispose();
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const first = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [first[0] ?? null, this.tables.length * this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const columns = toList(inputs).map((t) => (t.dtype === 'int32' ? t : tf.cast(t, 'int32')));
      if (columns.length !== this.tables.length) throw new Error(`FusedEmbedding expects ${this.tables.length} id inputs, got ${columns.length}`);
      const ids = columns.length === 1 ? (columns[0] as tf.Tensor) : tf.concat(columns, 1);
      const rows = tf.add(ids, tf.tensor1d(this.offsets, 'int32'));
      if (!this.embeddings) throw new Error('Bug: FusedEmbedding called before build');
      const vectors = tf.gather(this.embeddings.read(), rows);
      return tf.reshape(vectors, [-1, this.tables.length * this.outputDim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), tables: this.tables, outputDim: this.outputDim, seeds: this.seeds, l2: this.l2 };
  }
}
tf.serialization.registerClass(FusedEmbedding);

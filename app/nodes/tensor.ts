/**
 * What flows along an edge, as seen by shape inference. Shapes exclude the batch dimension,
 * Keras-style: a batch of 16-wide vectors is `[16]`, a batch of 20-step sequences of 8-wide
 * embeddings is `[20, 8]`.
 */
export type PortType = 'ids' | 'float';

/** A categorical column as it reaches an embedding: its name and its table size. */
export interface IdField {
  column: string;
  vocabSize: number;
  /** The size is a placeholder: vocabSize is auto and no size was fitted or estimated for the column yet. */
  estimated?: true;
}

export interface TensorInfo {
  type: PortType;
  shape: number[];
  /** Sequence positions can be padding; a padding mask travels with the tensor. */
  masked: boolean;
  /** For `ids`: the columns carried, one model input each. */
  fields?: IdField[];
}

export const floatTensor = (shape: number[], masked = false): TensorInfo => ({ type: 'float', shape, masked });

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const PORT_TYPE_WORDS: Record<PortType, string> = {
  ids: 'categorical ids',
  float: 'float tensors',
};

import type { SnippetName } from '../nodes/define-node';

/**
 * Small functions a generated module carries when its graph needs them. They exist only in generated
 * code (the compiler builds the same layers inline), so their text here is their only copy; the
 * equivalence tests check that what they build matches the compiled model.
 */
export const SNIPPETS: Record<SnippetName, string> = {
  embeddingTable: `
/** An embedding table initialised as Towerflow does: uniform in [-0.05, 0.05]; optional L2 penalty. */
function embeddingTable(name: string, inputDim: number, outputDim: number, seed: number | undefined, l2 = 0): tf.layers.Layer {
  return tf.layers.embedding({
    name,
    inputDim,
    outputDim,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, ...(seed === undefined ? {} : { seed }) }),
    ...(l2 > 0 ? { embeddingsRegularizer: tf.regularizers.l2({ l2 }) } : {}),
  });
}`,
  lookupFlat: `
/** Looks one id per row up in \`table\` and flattens the [1, dim] result to [dim]. */
function lookupFlat(table: tf.layers.Layer, ids: tf.SymbolicTensor, name: string): tf.SymbolicTensor {
  return tf.layers.flatten({ name }).apply(table.apply(ids)) as tf.SymbolicTensor;
}`,
};

/** The order snippets appear in a module, whichever node asked first: stable output. */
export const SNIPPET_ORDER: readonly SnippetName[] = ['embeddingTable', 'lookupFlat'];

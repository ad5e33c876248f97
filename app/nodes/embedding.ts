import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { l2 } from './shared/params';
import { applied, str } from '../codegen/source';

/**
 * Looks ids up in embedding tables. Each column gets its own table, named after the column, unless
 * `table` names one: nodes (and columns) naming the same table share its weights — DIN looks the
 * candidate item and the behaviour history up in one item table.
 *
 * Several columns whose tables no other lookup uses are built as one FusedEmbedding (one weight,
 * one gather): the same function with far fewer kernels per training step (census MMoE on wasm:
 * see app/compile/layers/fused-embedding.ts and bench/results).
 */
export const embedding = defineNode({
  kind: 'embedding',
  title: 'Embedding',
  category: 'Features',
  description: 'Turns categorical ids into dense vectors; a sequence stays a sequence [length, dim].',
  params: z.object({
    dim: z.number().int().min(1).max(4096).default(8).describe('Width of each embedding vector.'),
    table: z
      .string()
      .trim()
      .max(200)
      .default('')
      .describe('Shared table name. Empty: one table per column, named after it.'),
    l2,
  }),
  inputs: [{ id: 'ids', label: 'ids', type: 'ids', description: 'Ids from a sparse or sequence input.' }],
  outputs: [
    {
      id: 'vectors',
      label: 'vectors',
      type: 'float',
      description: 'Sparse: the column embeddings side by side [columns × dim]. Sequence: [length, dim].',
    },
  ],
  infer: ({ params, inputs, useTable }) => {
    const ids = inputs.ids?.[0];
    if (!ids) return undefined;
    for (const field of ids.fields ?? []) useTable(params.table || field.column, field.vocabSize, params.dim);
    if (ids.masked) return { vectors: { type: 'float', shape: [...ids.shape, params.dim], masked: true } };
    return { vectors: { type: 'float', shape: [(ids.shape[0] ?? 1) * params.dim], masked: false } };
  },
  weights: ({ params, inputs }) =>
    fusable(inputs.ids?.[0]?.fields ?? [], params.table).map(({ table, vocabSize }) => ({ table, shape: [vocabSize, params.dim] })),
  build: (ctx) => {
    const ids = ctx.inputs.ids?.[0];
    if (!ids?.fields) throw new Error('Bug: embedding built without id fields');
    const fused = ids.mask ? undefined : ctx.fusedTables(fusable(ids.fields, ctx.params.table), ctx.params.dim, ctx.params.l2);
    if (fused) return { vectors: { tensor: fused.apply(ids.fields.map((f) => f.tensor)) as tf.SymbolicTensor } };
    const lookups = ids.fields.map((field) => {
      const table = ctx.embeddingTable(ctx.params.table || field.column, field.vocabSize, ctx.params.dim, ctx.params.l2);
      return { field, vectors: table.apply(field.tensor) as tf.SymbolicTensor };
    });
    if (ids.mask) {
      const seq = lookups[0];
      if (!seq) throw new Error('Bug: sequence embedding without a field');
      return { vectors: { tensor: seq.vectors, mask: ids.mask } };
    }
    const flat = lookups.map(
      ({ field, vectors }) => tf.layers.flatten({ name: ctx.layerName(`${field.column}_flat`) }).apply(vectors) as tf.SymbolicTensor,
    );
    const tensor =
      flat.length === 1 && flat[0]
        ? flat[0]
        : (tf.layers.concatenate({ axis: -1, name: ctx.layerName('concat') }).apply(flat) as tf.SymbolicTensor);
    return { vectors: { tensor } };
  },
  emit: (ctx) => {
    const ids = ctx.inputs.ids?.[0];
    if (!ids?.fields) throw new Error('Bug: embedding emitted without id fields');
    const fused = ids.mask ? undefined : ctx.fusedTables(fusable(ids.fields, ctx.params.table), ctx.params.dim, ctx.params.l2);
    if (fused) return { vectors: { tensor: ctx.declare(ctx.valueName(), applied(fused, ids.fields.map((f) => f.tensor))) } };
    const lookups = ids.fields.map((field) => ({
      field,
      table: ctx.embeddingTable(ctx.params.table || field.column, field.vocabSize, ctx.params.dim, ctx.params.l2),
    }));
    if (ids.mask) {
      const seq = lookups[0];
      if (!seq) throw new Error('Bug: sequence embedding without a field');
      return { vectors: { tensor: ctx.declare(ctx.valueName(), applied(seq.table, seq.field.tensor)), mask: ids.mask } };
    }
    const lookupFlat = ctx.snippet('lookupFlat');
    const flat = lookups.map(({ field, table }) => `${lookupFlat}(${table}, ${field.tensor}, ${str(ctx.layerName(`${field.column}_flat`))})`);
    const [only, ...more] = flat;
    if (only !== undefined && more.length === 0) return { vectors: { tensor: ctx.declare(ctx.valueName(), only) } };
    const concat = `tf.layers.concatenate({ name: ${str(ctx.layerName('concat'))}, axis: -1 })`;
    return { vectors: { tensor: ctx.declare(ctx.valueName(), applied(concat, flat)) } };
  },
  torch: (ctx) => {
    const ids = ctx.inputs.ids?.[0];
    if (!ids?.fields) throw new Error('Bug: embedding emitted without id fields');
    const fused = ids.mask ? undefined : ctx.fusedTables(fusable(ids.fields, ctx.params.table), ctx.params.dim, ctx.params.l2);
    if (fused) return { vectors: { tensor: ctx.declare(ctx.valueName(), `${fused}([${ids.fields.map((f) => f.tensor).join(', ')}])`) } };
    const lookups = ids.fields.map((field) => ({
      field,
      table: ctx.embeddingTable(ctx.params.table || field.column, field.vocabSize, ctx.params.dim, ctx.params.l2),
    }));
    if (ids.mask) {
      const seq = lookups[0];
      if (!seq) throw new Error('Bug: sequence embedding without a field');
      return { vectors: { tensor: ctx.declare(ctx.valueName(), `${seq.table}(${seq.field.tensor})`), mask: ids.mask } };
    }
    // [B, 1] ids → [B, 1, dim] → [B, dim], as the builder's Flatten layers.
    const flat = lookups.map(({ field, table }) => {
      ctx.layerName(`${field.column}_flat`);
      return `${table}(${field.tensor}).flatten(1)`;
    });
    const [only, ...more] = flat;
    if (only !== undefined && more.length === 0) return { vectors: { tensor: ctx.declare(ctx.valueName(), only) } };
    ctx.layerName('concat');
    return { vectors: { tensor: ctx.declare(ctx.valueName(), `torch.cat([${flat.join(', ')}], dim=-1)`) } };
  },
});

/** The tables of a sparse lookup's columns: each column's own (fusable when private), or one shared table. */
const fusable = (fields: readonly { column: string; vocabSize: number }[], table: string) =>
  fields.map((f) => ({ table: table || f.column, vocabSize: f.vocabSize }));

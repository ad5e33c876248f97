import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { columnName, maxVocabSize, vocabSize, vocabSizes } from './shared/params';
import { idField } from './shared/vocab';

/** Categorical id columns: one int32 model input per column, embedded downstream. */
export const inputSparse = defineNode({
  kind: 'input.sparse',
  title: 'Sparse input',
  category: 'Inputs',
  description: 'Categorical columns (user id, item id, gender …), each encoded to integer ids.',
  params: z.object({
    columns: z.array(columnName).min(1).max(1000).default(['feature']).describe('Data columns read by this input.'),
    vocabSize,
    maxVocabSize,
    vocabSizes,
  }),
  inputs: [],
  dataColumns: (params) => params.columns,
  outputs: [{ id: 'ids', label: 'ids', type: 'ids', description: 'One id per column: [columns].' }],
  infer: ({ params }) => ({
    ids: {
      type: 'ids',
      shape: [params.columns.length],
      masked: false,
      fields: params.columns.map((column) => idField(params, column)),
    },
  }),
  build: (ctx) => {
    const fields = ctx.params.columns.map((column) => ({
      column,
      vocabSize: idField(ctx.params, column).vocabSize,
      tensor: ctx.modelInput(column, [1], 'int32', [column]),
    }));
    const only = fields.length === 1 ? fields[0]?.tensor : undefined;
    const tensor =
      only ??
      (tf.layers.concatenate({ axis: -1, name: ctx.layerName('ids') }).apply(fields.map((f) => f.tensor)) as tf.SymbolicTensor);
    return { ids: { tensor, fields } };
  },
  emit: (ctx) => {
    const fields = ctx.params.columns.map((column) => ({
      column,
      vocabSize: idField(ctx.params, column).vocabSize,
      tensor: ctx.modelInput(column, [1], 'int32', [column]),
    }));
    const [first, ...more] = fields;
    if (!first) throw new Error('Bug: sparse input without columns');
    // The builder also joins several columns' ids into one tensor. Embeddings read each column on its
    // own, so that tensor never reaches the model and the module leaves it out; its layer name is
    // still taken, so later names stay the same as the compiled model's.
    if (more.length > 0) ctx.layerName('ids');
    return { ids: { tensor: first.tensor, fields } };
  },
  torch: (ctx) => {
    const fields = ctx.params.columns.map((column) => ({
      column,
      vocabSize: idField(ctx.params, column).vocabSize,
      tensor: ctx.modelInput(column, [1], 'int32', [column]),
    }));
    const [first, ...more] = fields;
    if (!first) throw new Error('Bug: sparse input without columns');
    // As in the TypeScript export: embeddings read each column on its own, so the joined ids feed
    // nothing; the builder's layer name for them is still taken, to keep later names the same.
    if (more.length > 0) ctx.layerName('ids');
    return { ids: { tensor: first.tensor, fields } };
  },
});

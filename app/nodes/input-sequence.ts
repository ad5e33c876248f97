import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { defineNode } from './define-node';
import { PaddingMask } from '../compile/layers/padding-mask';
import { columnName, maxVocabSize, vocabSize, vocabSizes } from './shared/params';
import { idField } from './shared/vocab';
import { applied, obj, str } from '../codegen/source';

/** A list of ids per row (a user's behaviour history), padded with id 0 to a fixed length. */
export const inputSequence = defineNode({
  kind: 'input.sequence',
  title: 'Sequence input',
  category: 'Inputs',
  description: 'An id-list column, e.g. the items a user interacted with, padded or cut to a maximum length.',
  params: z.object({
    column: columnName.default('history').describe('Data column holding the id list.'),
    maxLength: z.number().int().min(1).max(10_000).default(20).describe('Positions kept (the most recent ids); shorter lists are padded.'),
    vocabSize,
    maxVocabSize,
    vocabSizes,
  }),
  inputs: [],
  dataColumns: (params) => [params.column],
  outputs: [
    { id: 'ids', label: 'ids', type: 'ids', description: 'Ids [length], with the padding mask carried along.' },
  ],
  infer: ({ params }) => ({
    ids: {
      type: 'ids',
      shape: [params.maxLength],
      masked: true,
      fields: [idField(params, params.column)],
    },
  }),
  build: (ctx) => {
    const tensor = ctx.modelInput(ctx.params.column, [ctx.params.maxLength], 'int32', [ctx.params.column]);
    const mask = new PaddingMask({ name: ctx.layerName('mask') }).apply(tensor) as tf.SymbolicTensor;
    return { ids: { tensor, mask, fields: [{ column: ctx.params.column, vocabSize: idField(ctx.params, ctx.params.column).vocabSize, tensor }] } };
  },
  emit: (ctx) => {
    const tensor = ctx.modelInput(ctx.params.column, [ctx.params.maxLength], 'int32', [ctx.params.column]);
    const layer = `new ${ctx.customLayer(PaddingMask)}(${obj({ name: str(ctx.layerName('mask')) })})`;
    const mask = ctx.declare(ctx.valueName('mask'), applied(layer, tensor));
    return { ids: { tensor, mask, fields: [{ column: ctx.params.column, vocabSize: idField(ctx.params, ctx.params.column).vocabSize, tensor }] } };
  },
  torch: (ctx) => {
    const tensor = ctx.modelInput(ctx.params.column, [ctx.params.maxLength], 'int32', [ctx.params.column]);
    ctx.layerName('mask');
    const mask = ctx.declare(ctx.valueName('mask'), `${ctx.helper('padding_mask')}(${tensor})`);
    return { ids: { tensor, mask, fields: [{ column: ctx.params.column, vocabSize: idField(ctx.params, ctx.params.column).vocabSize, tensor }] } };
  },
});

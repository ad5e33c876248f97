import { z } from 'zod';
import { defineNode } from './define-node';
import { columnName } from './shared/params';

/** Numeric columns, fed together as one float vector (one model input per node). */
export const inputDense = defineNode({
  kind: 'input.dense',
  title: 'Dense input',
  category: 'Inputs',
  description: 'Numeric columns (age, price …), standardised by the data pipeline and fed as one vector.',
  params: z.object({
    columns: z.array(columnName).min(1).max(10_000).default(['value']).describe('Data columns read by this input, in order.'),
  }),
  inputs: [],
  dataColumns: (params) => params.columns,
  outputs: [{ id: 'values', label: 'values', type: 'float', description: 'The columns as a vector [columns].' }],
  infer: ({ params }) => ({ values: { type: 'float', shape: [params.columns.length], masked: false } }),
  build: (ctx) => ({
    values: { tensor: ctx.modelInput(ctx.node.label, [ctx.params.columns.length], 'float32', ctx.params.columns) },
  }),
  emit: (ctx) => ({
    values: { tensor: ctx.modelInput(ctx.node.label, [ctx.params.columns.length], 'float32', ctx.params.columns) },
  }),
  torch: (ctx) => ({
    values: { tensor: ctx.modelInput(ctx.node.label, [ctx.params.columns.length], 'float32', ctx.params.columns) },
  }),
});

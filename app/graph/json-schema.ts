import { z } from 'zod';
import type { AnyNodeKind } from '../nodes/define-node';
import { NODE_KINDS } from '../nodes/registry';
import { EdgeSchema, GraphDocumentSchema, NodeSchema } from './schema';

/**
 * The JSON Schema of graph files, generated from the same zod schemas the loader and validator use:
 * the document schema, with each node's params typed by its kind so editors complete them.
 */
export function graphJsonSchema(kinds: readonly AnyNodeKind[] = NODE_KINDS): Record<string, unknown> {
  const nodeVariants = kinds.map((kind) =>
    NodeSchema.extend({
      kind: z.literal(kind.kind).describe(kind.description),
      params: (kind.params as z.ZodObject).partial().strict().optional(),
    }),
  );
  const [first, ...rest] = nodeVariants;
  if (!first) throw new Error('Bug: no node kinds');
  const document = GraphDocumentSchema.extend({
    nodes: z.array(z.discriminatedUnion('kind', [first, ...rest])),
    edges: z.array(EdgeSchema),
  });
  return {
    ...z.toJSONSchema(document, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://towerflow.dev/schema/graph.schema.json',
    title: 'Towerflow model graph',
  };
}

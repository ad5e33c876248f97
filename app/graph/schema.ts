import { z } from 'zod';

/**
 * The graph document: the single source of truth that the canvas, the compiled model, the generated
 * code and the run folders are derived from. This zod schema is also the source of the JSON Schema
 * in `schema/graph.schema.json` (see json-schema.ts), so editors and the validator never disagree.
 */
export const GRAPH_FORMAT = 'towerflow.graph';
/** 2: sparse and sequence inputs size their tables from the data by default (vocabSize "auto"). */
export const GRAPH_VERSION = 2;

export const PositionSchema = z.object({ x: z.number(), y: z.number() }).describe('Canvas position of the node.');

export const NodeSchema = z.object({
  id: z.string().min(1).describe('Unique id of the node inside the graph.'),
  kind: z.string().min(1).describe('Node kind, e.g. "expert" or "input.sparse".'),
  label: z.string().optional().describe('Name shown on the canvas; layer names are derived from it.'),
  params: z.record(z.string(), z.unknown()).optional().describe('Parameters of the node kind.'),
  position: PositionSchema.optional(),
});

export const PortRefSchema = z.object({
  node: z.string().min(1).describe('Node id.'),
  port: z.string().min(1).describe('Port id on that node.'),
});

export const EdgeSchema = z.object({
  id: z.string().min(1).optional().describe('Unique id of the edge; derived from its ends when absent.'),
  source: PortRefSchema.describe('Output port the tensor comes from.'),
  target: PortRefSchema.describe('Input port the tensor goes to.'),
});

export const GraphDocumentSchema = z.object({
  $schema: z.string().optional(),
  format: z.literal(GRAPH_FORMAT),
  version: z.number().int().min(1),
  name: z.string().describe('Name of the model.'),
  description: z.string().optional(),
  nodes: z.array(NodeSchema),
  edges: z.array(EdgeSchema),
});

export type GraphDocumentInput = z.input<typeof GraphDocumentSchema>;

export interface Position {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  kind: string;
  label: string;
  params: Record<string, unknown>;
  position: Position;
}

export interface PortRef {
  node: string;
  port: string;
}

export interface GraphEdge {
  id: string;
  source: PortRef;
  target: PortRef;
}

/** A loaded, normalised graph: every optional field of the file is filled in. */
export interface Graph {
  format: typeof GRAPH_FORMAT;
  version: typeof GRAPH_VERSION;
  name: string;
  description?: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const edgeIdOf = (source: PortRef, target: PortRef): string =>
  `${source.node}.${source.port}->${target.node}.${target.port}`;

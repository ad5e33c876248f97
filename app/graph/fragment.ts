import { z } from 'zod';
import { registry } from '../nodes/registry';
import type { Clipboard } from './commands';
import { formatPath } from './load';
import { EdgeSchema, edgeIdOf, NodeSchema } from './schema';

/**
 * Copied nodes as text, for the system clipboard: so nodes copied in one window (or one graph)
 * paste into another, and a paste of anything else is refused with a reason instead of guessed at.
 * The text is JSON marked with its own format and version, like a graph file:
 *
 *   { "format": "towerflow.fragment", "version": 1, "nodes": [...], "edges": [...] }
 *
 * Nodes and edges are written as a graph file writes them (schema.ts); ids are the source graph's,
 * and the paste command (commands.ts `paste`) gives them fresh ones in the target graph.
 */
export const FRAGMENT_FORMAT = 'towerflow.fragment';
/** Moves with the graph format: version 1 holds nodes as graph format version 1 writes them. */
export const FRAGMENT_VERSION = 1;

/** Clipboard text above this is not read at all: no copied selection comes near it. */
export const FRAGMENT_MAX_CHARS = 5_000_000;
const MAX_NODES = 5000;

const FragmentSchema = z.object({
  format: z.literal(FRAGMENT_FORMAT),
  version: z.literal(FRAGMENT_VERSION),
  nodes: z.array(NodeSchema).min(1, 'there are no nodes').max(MAX_NODES),
  edges: z.array(EdgeSchema).max(MAX_NODES * 8).default([]),
});

export type FragmentResult = { ok: true; clipboard: Clipboard } | { ok: false; reason: string };

/** The clipboard text for copied nodes. */
export function fragmentText(clip: Pick<Clipboard, 'nodes' | 'edges'>): string {
  return `${JSON.stringify({ format: FRAGMENT_FORMAT, version: FRAGMENT_VERSION, nodes: clip.nodes, edges: clip.edges }, null, 2)}\n`;
}

/**
 * Clipboard text → the nodes and edges to paste, or why the text holds none. Never throws: the
 * text can be anything the user copied anywhere.
 */
export function parseFragment(text: string): FragmentResult {
  const refuse = (reason: string): FragmentResult => ({ ok: false, reason });
  const notNodes = (why: string) => refuse(`the clipboard holds no Towerflow nodes (${why})`);
  if (text.length > FRAGMENT_MAX_CHARS) return notNodes(`its ${text.length} characters are more than any copied selection`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return notNodes('it is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return notNodes(`it is a JSON ${doc === null ? 'null' : Array.isArray(doc) ? 'array' : typeof doc}`);
  const { format, version } = doc as { format?: unknown; version?: unknown };
  if (format !== FRAGMENT_FORMAT) {
    return notNodes(`expected "format": "${FRAGMENT_FORMAT}", got ${format === undefined ? 'JSON without a "format" field' : JSON.stringify(format)}`);
  }
  if (typeof version === 'number' && version > FRAGMENT_VERSION) {
    return refuse(`these nodes were copied from a newer Towerflow (fragment version ${version}); this build pastes version ${FRAGMENT_VERSION}`);
  }
  const parsed = FragmentSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = formatPath((issue?.path ?? []).filter((p): p is string | number => typeof p !== 'symbol'));
    return refuse(`the copied nodes are damaged: ${where ? `${where}: ` : ''}${issue?.message ?? 'invalid'}`);
  }
  const nodes = parsed.data.nodes.map((n) => ({ id: n.id, kind: n.kind, label: n.label ?? n.id, params: n.params ?? {}, position: n.position ?? { x: 0, y: 0 } }));
  const ids = new Set<string>();
  for (const [i, node] of nodes.entries()) {
    if (ids.has(node.id)) return refuse(`the copied nodes are damaged: nodes[${i}].id: "${node.id}" is used twice`);
    ids.add(node.id);
    // A kind this build does not know (a newer Towerflow's) would paste as a node nothing can draw or compile.
    if (!registry.has(node.kind)) return refuse(`the copied nodes include the kind "${node.kind}", which this build of Towerflow does not know`);
  }
  const edges = [];
  for (const [i, edge] of parsed.data.edges.entries()) {
    const outside = [edge.source.node, edge.target.node].find((id) => !ids.has(id));
    if (outside !== undefined) return refuse(`the copied nodes are damaged: edges[${i}] connects to "${outside}", which is not among them`);
    edges.push({ id: edge.id ?? edgeIdOf(edge.source, edge.target), source: { ...edge.source }, target: { ...edge.target } });
  }
  return { ok: true, clipboard: { format: 'towerflow.clipboard', nodes, edges } };
}

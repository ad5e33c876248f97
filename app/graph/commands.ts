import { registry } from '../nodes/registry';
import type { AnyNodeKind } from '../nodes/define-node';
import { validateGraph } from '../validate/validate';
import { edgeIdOf, type Graph, type GraphEdge, type GraphNode, type PortRef, type Position } from './schema';

/**
 * Edits of a graph as named commands. Each returns the new graph and a patch with its inverse, so
 * history (history.ts) can undo and redo any edit; the canvas only ever changes the graph through
 * these. All functions are pure: the graph passed in is never mutated.
 */
export type Patch =
  | { op: 'addNode'; node: GraphNode; index: number }
  | { op: 'removeNode'; node: GraphNode; index: number }
  | { op: 'setNode'; before: GraphNode; after: GraphNode }
  | { op: 'addEdge'; edge: GraphEdge; index: number }
  | { op: 'removeEdge'; edge: GraphEdge; index: number }
  | { op: 'setMeta'; before: { name: string; description?: string }; after: { name: string; description?: string } };

export interface Edit {
  /** Shown in the Edit menu: "Undo Move 3 nodes". */
  label: string;
  patches: Patch[];
}

export type CommandResult = { ok: true; graph: Graph; edit: Edit } | { ok: false; reason: string };

export function applyPatches(graph: Graph, patches: readonly Patch[]): Graph {
  let nodes = graph.nodes;
  let edges = graph.edges;
  let meta = { name: graph.name, description: graph.description };
  for (const p of patches) {
    switch (p.op) {
      case 'addNode':
        nodes = insertAt(nodes, p.index, p.node);
        break;
      case 'removeNode':
        nodes = nodes.filter((n) => n.id !== p.node.id);
        break;
      case 'setNode':
        nodes = nodes.map((n) => (n.id === p.before.id ? p.after : n));
        break;
      case 'addEdge':
        edges = insertAt(edges, p.index, p.edge);
        break;
      case 'removeEdge':
        edges = edges.filter((e) => e.id !== p.edge.id);
        break;
      case 'setMeta':
        meta = { name: p.after.name, description: p.after.description };
        break;
    }
  }
  const { description, ...rest } = { ...graph, name: meta.name, description: meta.description, nodes, edges };
  return description === undefined ? rest : { ...rest, description };
}

/** The patches that undo `patches` (applied in reverse order). */
export function invertPatches(patches: readonly Patch[]): Patch[] {
  return [...patches].reverse().map((p): Patch => {
    switch (p.op) {
      case 'addNode':
        return { op: 'removeNode', node: p.node, index: p.index };
      case 'removeNode':
        return { op: 'addNode', node: p.node, index: p.index };
      case 'setNode':
        return { op: 'setNode', before: p.after, after: p.before };
      case 'addEdge':
        return { op: 'removeEdge', edge: p.edge, index: p.index };
      case 'removeEdge':
        return { op: 'addEdge', edge: p.edge, index: p.index };
      case 'setMeta':
        return { op: 'setMeta', before: p.after, after: p.before };
    }
  });
}

const done = (graph: Graph, label: string, patches: Patch[]): CommandResult =>
  patches.length === 0 ? { ok: false, reason: 'nothing to change' } : { ok: true, graph: applyPatches(graph, patches), edit: { label, patches } };

/** A fresh node id for `kind`, unique in the graph: `expert`, `expert_2`, … */
export function freshNodeId(graph: Pick<Graph, 'nodes'>, kind: string, taken: ReadonlySet<string> = new Set()): string {
  const base = kind.replace(/^input\./, '').replace(/[^a-zA-Z0-9_]/g, '_');
  const used = new Set([...graph.nodes.map((n) => n.id), ...taken]);
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
  return id;
}

export function addNode(graph: Graph, kind: string, position: Position, options: { id?: string; label?: string; params?: Record<string, unknown> } = {}, kinds: ReadonlyMap<string, AnyNodeKind> = registry): CommandResult {
  const spec = kinds.get(kind);
  if (!spec) return { ok: false, reason: `unknown node kind "${kind}"` };
  const id = options.id ?? freshNodeId(graph, kind);
  if (graph.nodes.some((n) => n.id === id)) return { ok: false, reason: `a node with id "${id}" already exists` };
  const label = options.label ?? uniqueLabel(graph, spec.title);
  const node: GraphNode = { id, kind, label, params: { ...(options.params ?? {}) }, position: { ...position } };
  return done(graph, `Add ${spec.title}`, [{ op: 'addNode', node, index: graph.nodes.length }]);
}

/** Removes nodes and every edge touching them. */
export function removeNodes(graph: Graph, ids: readonly string[]): CommandResult {
  const doomed = new Set(ids);
  const edgePatches = edgesWhere(graph, (e) => doomed.has(e.source.node) || doomed.has(e.target.node)).map(
    ([edge, index]): Patch => ({ op: 'removeEdge', edge, index }),
  );
  const nodePatches = graph.nodes.flatMap((node, index): Patch[] => (doomed.has(node.id) ? [{ op: 'removeNode', node, index }] : []));
  // Removing from the end keeps the recorded indices right when the inverse re-inserts in reverse.
  return done(graph, `Delete ${plural(nodePatches.length, 'node')}`, [...edgePatches.reverse(), ...nodePatches.reverse()]);
}

export function removeEdges(graph: Graph, ids: readonly string[]): CommandResult {
  const doomed = new Set(ids);
  const patches = edgesWhere(graph, (e) => doomed.has(e.id)).map(([edge, index]): Patch => ({ op: 'removeEdge', edge, index }));
  return done(graph, `Delete ${plural(patches.length, 'connection')}`, patches.reverse());
}

export function moveNodes(graph: Graph, moves: readonly { id: string; position: Position }[]): CommandResult {
  const patches = moves.flatMap((m): Patch[] => {
    const before = graph.nodes.find((n) => n.id === m.id);
    if (!before || (before.position.x === m.position.x && before.position.y === m.position.y)) return [];
    return [{ op: 'setNode', before, after: { ...before, position: { ...m.position } } }];
  });
  return done(graph, `Move ${plural(patches.length, 'node')}`, patches);
}

export function renameNode(graph: Graph, id: string, label: string): CommandResult {
  const before = graph.nodes.find((n) => n.id === id);
  if (!before) return { ok: false, reason: `no node "${id}"` };
  const trimmed = label.trim();
  if (!trimmed) return { ok: false, reason: 'a node name cannot be empty' };
  if (trimmed.length > 200) return { ok: false, reason: 'a node name takes at most 200 characters' };
  if (trimmed === before.label) return { ok: false, reason: 'nothing to change' };
  return done(graph, `Rename to "${trimmed}"`, [{ op: 'setNode', before, after: { ...before, label: trimmed } }]);
}

/**
 * Sets one param. `undefined` removes it (back to the kind's default). The value is stored as
 * given; validation reports it if it is out of bounds, so a half-typed value is never lost.
 */
export function setParam(graph: Graph, id: string, key: string, value: unknown): CommandResult {
  const before = graph.nodes.find((n) => n.id === id);
  if (!before) return { ok: false, reason: `no node "${id}"` };
  const params = { ...before.params };
  if (value === undefined) delete params[key];
  else params[key] = value;
  if (JSON.stringify(params) === JSON.stringify(before.params)) return { ok: false, reason: 'nothing to change' };
  return done(graph, `Set ${key}`, [{ op: 'setNode', before, after: { ...before, params } }]);
}

export function setMeta(graph: Graph, meta: { name: string; description?: string }): CommandResult {
  const name = meta.name.trim();
  if (!name) return { ok: false, reason: 'a model name cannot be empty' };
  const before = { name: graph.name, ...(graph.description !== undefined ? { description: graph.description } : {}) };
  const after = { name, ...(meta.description !== undefined ? { description: meta.description } : {}) };
  return done(graph, 'Rename model', [{ op: 'setMeta', before, after }]);
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether an edge may be drawn from `source` to `target`: the ports exist and face the right way,
 * types match, a one-edge port is free, no cycle forms, and the shapes fit (found by validating
 * the graph with the edge added and looking for new errors at the target).
 */
export function canConnect(graph: Graph, source: PortRef, target: PortRef, kinds: ReadonlyMap<string, AnyNodeKind> = registry): ConnectionCheck {
  const from = graph.nodes.find((n) => n.id === source.node);
  const to = graph.nodes.find((n) => n.id === target.node);
  if (!from || !to) return { ok: false, reason: 'both ends must be nodes of the graph' };
  if (from.id === to.id) return { ok: false, reason: 'a node cannot feed itself' };
  const fromKind = kinds.get(from.kind);
  const toKind = kinds.get(to.kind);
  if (!fromKind || !toKind) return { ok: false, reason: 'one of the nodes has an unknown kind' };
  const out = fromKind.outputs.find((p) => p.id === source.port);
  const inp = toKind.inputs.find((p) => p.id === target.port);
  if (!out) return { ok: false, reason: `"${from.label}" has no output "${source.port}"` };
  if (!inp) return { ok: false, reason: `"${to.label}" has no input "${target.port}"` };
  if (out.type !== inp.type) {
    return { ok: false, reason: out.type === 'ids' ? `"${inp.label}" takes vectors, not raw ids: put an Embedding in between` : `"${inp.label}" takes ids from an input node` };
  }
  if (graph.edges.some((e) => e.source.node === source.node && e.source.port === source.port && e.target.node === target.node && e.target.port === target.port)) {
    return { ok: false, reason: 'these ports are already connected' };
  }
  if (!inp.multi && graph.edges.some((e) => e.target.node === target.node && e.target.port === target.port)) {
    return { ok: false, reason: `"${inp.label}" of "${to.label}" takes one connection and already has one` };
  }
  if (reaches(graph, to.id, from.id)) return { ok: false, reason: `this would make a cycle: "${to.label}" already feeds "${from.label}"` };
  const edge: GraphEdge = { id: edgeIdOf(source, target), source, target };
  const before = new Set(validateGraph(graph, kinds).diagnostics.filter((d) => d.severity === 'error' && d.nodeId === to.id).map((d) => d.message));
  const introduced = validateGraph({ ...graph, edges: [...graph.edges, edge] }, kinds).diagnostics.find(
    (d) => d.severity === 'error' && d.nodeId === to.id && d.code !== 'E_PORT_REQUIRED' && !before.has(d.message),
  );
  return introduced ? { ok: false, reason: introduced.message } : { ok: true };
}

export function connect(graph: Graph, source: PortRef, target: PortRef, kinds: ReadonlyMap<string, AnyNodeKind> = registry): CommandResult {
  const check = canConnect(graph, source, target, kinds);
  if (!check.ok) return check;
  const edge: GraphEdge = { id: edgeIdOf(source, target), source: { ...source }, target: { ...target } };
  return done(graph, 'Connect', [{ op: 'addEdge', edge, index: graph.edges.length }]);
}

/** A copied selection: the nodes and the edges between them. */
export interface Clipboard {
  format: 'towerflow.clipboard';
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function copySelection(graph: Graph, ids: readonly string[]): Clipboard {
  const chosen = new Set(ids);
  return {
    format: 'towerflow.clipboard',
    nodes: graph.nodes.filter((n) => chosen.has(n.id)).map((n) => structuredClone(n)),
    edges: graph.edges.filter((e) => chosen.has(e.source.node) && chosen.has(e.target.node)).map((e) => structuredClone(e)),
  };
}

/** Pastes with fresh ids (and labels marked as copies where they would repeat), offset on the canvas. */
export function paste(graph: Graph, clip: Clipboard, offset: Position = { x: 40, y: 40 }): CommandResult & { ids?: string[] } {
  const idMap = new Map<string, string>();
  const taken = new Set<string>();
  const labels = new Set(graph.nodes.map((n) => n.label));
  const nodes = clip.nodes.map((n) => {
    const id = freshNodeId(graph, n.id, taken);
    taken.add(id);
    idMap.set(n.id, id);
    let label = n.label;
    // A copy of a copy is numbered from the original's name: "Tower (copy 2)", not "Tower (copy) (copy)".
    const base = n.label.replace(/ \(copy(?: \d+)?\)$/, '');
    for (let k = 1; labels.has(label); k++) label = k === 1 ? `${base} (copy)` : `${base} (copy ${k})`;
    labels.add(label);
    return { ...structuredClone(n), id, label, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } };
  });
  const edges = clip.edges.flatMap((e) => {
    const s = idMap.get(e.source.node);
    const t = idMap.get(e.target.node);
    if (!s || !t) return [];
    const source = { node: s, port: e.source.port };
    const target = { node: t, port: e.target.port };
    return [{ id: edgeIdOf(source, target), source, target }];
  });
  const patches: Patch[] = [
    ...nodes.map((node, i): Patch => ({ op: 'addNode', node, index: graph.nodes.length + i })),
    ...edges.map((edge, i): Patch => ({ op: 'addEdge', edge, index: graph.edges.length + i })),
  ];
  const result = done(graph, `Paste ${plural(nodes.length, 'node')}`, patches);
  return result.ok ? { ...result, ids: nodes.map((n) => n.id) } : result;
}

export function duplicate(graph: Graph, ids: readonly string[]): CommandResult & { ids?: string[] } {
  const result = paste(graph, copySelection(graph, ids));
  return result.ok ? { ...result, edit: { ...result.edit, label: `Duplicate ${plural(ids.length, 'node')}` } } : result;
}

function reaches(graph: Graph, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = next.get(e.source.node) ?? [];
    list.push(e.target.node);
    next.set(e.source.node, list);
  }
  const seen = new Set([from]);
  const stack = [from];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === to) return true;
    for (const n of next.get(id) ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(n);
    }
  }
  return false;
}

function uniqueLabel(graph: Graph, title: string): string {
  const labels = new Set(graph.nodes.map((n) => n.label));
  let label = title;
  for (let n = 2; labels.has(label); n++) label = `${title} ${n}`;
  return label;
}

const edgesWhere = (graph: Graph, pick: (e: GraphEdge) => boolean): [GraphEdge, number][] =>
  graph.edges.flatMap((e, i): [GraphEdge, number][] => (pick(e) ? [[e, i]] : []));

const insertAt = <T>(list: readonly T[], index: number, item: T): T[] => [...list.slice(0, index), item, ...list.slice(index)];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

import type { Diagnostic } from '../validate/diagnostics';
import { validateGraph, type Validation } from '../validate/validate';
import { loadGraph, placed as placedOnDocument } from './load';
import type { Graph } from './schema';

export interface OpenedGraph {
  graph?: Graph;
  validation?: Validation;
  /** Load and validation diagnostics, each with its line in the source text where it has one. */
  diagnostics: Diagnostic[];
}

/** Load = parse → migrate → validate, with every diagnostic placed on a line of the file. */
export function openGraphText(text: string, counter?: { lookups: number }): OpenedGraph {
  const loaded = loadGraph(text, counter);
  if (!loaded.graph) return { diagnostics: loaded.diagnostics };
  const graph = loaded.graph;
  const validation = validateGraph(graph);
  const nodeIndex = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const edgeIndex = new Map(graph.edges.map((e, i) => [e.id, i]));
  const placed = validation.diagnostics.map((d): Diagnostic => {
    if (d.line !== undefined) return d;
    const where =
      (d.path ? loaded.locate(pathSegments(d.path)) : undefined) ??
      (d.edgeId !== undefined && edgeIndex.has(d.edgeId) ? loaded.locate(['edges', edgeIndex.get(d.edgeId) as number]) : undefined) ??
      (d.nodeId !== undefined && nodeIndex.has(d.nodeId) ? loaded.locate(['nodes', nodeIndex.get(d.nodeId) as number]) : undefined) ??
      // A problem of the whole graph (no output, nothing to train) is put on its nodes array.
      loaded.locate(['nodes']);
    return placedOnDocument(where ? { ...d, ...where } : d, loaded.locate);
  });
  return { graph, validation, diagnostics: [...loaded.diagnostics, ...placed] };
}

/** `nodes[3].params.units[0]` → ['nodes', 3, 'params', 'units', 0]. */
export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) out.push(Number(match[2]));
    else if (match[1] !== undefined) out.push(match[1]);
  }
  return out;
}

import type { Graph } from '../../app/graph/schema';
import { validateGraph, type Validation } from '../../app/validate/validate';

/**
 * Live validation of the graph, memoised: the same graph object gives the same result, and so does
 * a graph that differs only in node positions (a drag), since nothing validated depends on them.
 */
let last: { graph: Graph; key: string; validation: Validation } | undefined;

export function validationOf(graph: Graph): Validation {
  if (last?.graph === graph) return last.validation;
  const key = structureKey(graph);
  if (last?.key === key) {
    last = { graph, key, validation: last.validation };
    return last.validation;
  }
  const validation = validateGraph(graph);
  last = { graph, key, validation };
  return validation;
}

/** Everything validation reads: the graph without positions. */
export function structureKey(graph: Graph): string {
  return JSON.stringify([graph.name, graph.nodes.map((n) => [n.id, n.kind, n.label, n.params]), graph.edges]);
}

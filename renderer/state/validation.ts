import type { Graph } from '../../app/graph/schema';
import { validateGraph, type Validation } from '../../app/validate/validate';
import { designerGraph, useVocabEstimate, type VocabEstimate } from './vocab-estimate';

/**
 * Live validation of the graph, memoised: the same graph object gives the same result, and so does
 * a graph that differs only in node positions (a drag), since nothing validated depends on them.
 * Auto vocabulary sizes come from the last inspected file (vocab-estimate.ts), so a new estimate
 * validates again.
 */
let last: { graph: Graph; key: string; estimate: VocabEstimate | undefined; validation: Validation } | undefined;

export function validationOf(graph: Graph): Validation {
  const estimate = useVocabEstimate.getState().estimate;
  if (last?.graph === graph && last.estimate === estimate) return last.validation;
  const key = structureKey(graph);
  if (last?.key === key && last.estimate === estimate) {
    last = { graph, key, estimate, validation: last.validation };
    return last.validation;
  }
  const validation = validateGraph(designerGraph(graph, estimate));
  last = { graph, key, estimate, validation };
  return validation;
}

/** Everything validation reads: the graph without positions. */
export function structureKey(graph: Graph): string {
  return JSON.stringify([graph.name, graph.nodes.map((n) => [n.id, n.kind, n.label, n.params]), graph.edges]);
}

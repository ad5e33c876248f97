import { safeName } from '../../app/compile/names';
import type { Graph } from '../../app/graph/schema';
import type { Validation } from '../../app/validate/validate';

export interface TrainedOutput {
  nodeId: string;
  /** The model's output name, as the binding's labels and loss weights key it. */
  name: string;
  label?: string;
  loss: 'binary_crossentropy' | 'mse';
  lossWeight: number;
}

/** Output nodes with the names the compiler gives them (the same rule as validate.ts). */
export function outputsOf(graph: Graph, validation: Validation): TrainedOutput[] {
  return graph.nodes.flatMap((node): TrainedOutput[] => {
    const entry = validation.structure.nodes.get(node.id);
    if (!entry?.kind || entry.kind.kind !== 'output' || !entry.params) return [];
    const params = entry.params as { name?: string; label?: string; loss?: 'binary_crossentropy' | 'mse'; lossWeight?: number };
    const name = safeName(entry.kind.layerBase?.(node, params) ?? node.label, 'output');
    return [{ nodeId: node.id, name, ...(params.label ? { label: params.label } : {}), loss: params.loss ?? 'binary_crossentropy', lossWeight: params.lossWeight ?? 1 }];
  });
}

/** What early stopping can watch (the same list as the core's metricNames, without tfjs). */
export function stoppingMetrics(outputs: readonly TrainedOutput[]): string[] {
  const names = ['loss'];
  for (const o of outputs.filter((o) => o.label)) names.push(...(o.loss === 'mse' ? ['loss', 'mse'] : ['loss', 'auc', 'logloss', 'gauc']).map((m) => `${o.name}.${m}`));
  names.push('mean.auc', 'mean.logloss', 'mean.gauc', 'mean.mse', 'mean.loss');
  return names;
}

import { modelSummary, type ModelSummaryTable, type SummaryRow } from '../../app/validate/summary';
import type { Validation } from '../../app/validate/validate';

/**
 * The model summary (app/validate/summary.ts) of the live validation, once per validation: the
 * inspector asks on every render, and validationOf keeps one validation per graph structure.
 * From the kinds' weight declarations: no tfjs, no worker.
 */
const cache = new WeakMap<Validation, ModelSummaryTable>();

export function summaryOf(validation: Validation): ModelSummaryTable {
  let summary = cache.get(validation);
  if (!summary) {
    summary = modelSummary(validation);
    cache.set(validation, summary);
  }
  return summary;
}

export function summaryRowOf(validation: Validation, nodeId: string): SummaryRow | undefined {
  return summaryOf(validation).rows.find((r) => r.nodeId === nodeId);
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** "8,192", or "1,100 (1,060 trainable)" where some are statistics gradients do not train. */
export function parametersText(row: Pick<SummaryRow, 'parameters' | 'trainable'>): string {
  return row.trainable === row.parameters ? formatCount(row.parameters) : `${formatCount(row.parameters)} (${formatCount(row.trainable)} trainable)`;
}

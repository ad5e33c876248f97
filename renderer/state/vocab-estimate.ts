import { create } from 'zustand';
import { estimatedTableRows, sizesFromData, withVocabSizes } from '../../app/data/vocab-sizes';
import type { Graph } from '../../app/graph/schema';
import type { Validation } from '../../app/validate/validate';
import type { DatasetInspection } from '../api/responses';

/**
 * The designer's estimate of auto vocabulary sizes: distinct values per graph column in the rows
 * the last inspected data file showed. Until training fits the sizes (and records them in the
 * run's graph.json), the canvas, the inspector and the status bar size auto columns by it.
 */
export interface VocabEstimate {
  file: string;
  /** Rows the counts come from (the start of the file). */
  rows: number;
  /** Distinct values by graph column. */
  distinct: ReadonlyMap<string, number>;
}

export const useVocabEstimate = create<{ estimate?: VocabEstimate }>()(() => ({}));

/** The estimate an inspection gives: its distinct counts, by graph column where the binding maps one to another data column. */
export function estimateFromInspection(inspection: DatasetInspection | undefined): VocabEstimate | undefined {
  if (!inspection?.distinct) return undefined;
  const { counts, rows } = inspection.distinct;
  const distinct = new Map(Object.entries(counts));
  for (const feature of inspection.binding?.features ?? []) {
    const count = Object.hasOwn(counts, feature.dataColumn) ? counts[feature.dataColumn] : undefined;
    if (count !== undefined) distinct.set(feature.graphColumn, count);
  }
  return { file: inspection.path, rows, distinct };
}

export const setVocabEstimate = (inspection: DatasetInspection | undefined): void => {
  const estimate = estimateFromInspection(inspection);
  // A failed or pending inspection keeps the last estimate: the designer goes on showing it.
  if (estimate) useVocabEstimate.setState({ estimate });
};

/**
 * The graph as the designer sizes it: auto columns without sizes fitted by training take the
 * estimate's. The same object when there is nothing to estimate.
 */
export function designerGraph(graph: Graph, estimate: VocabEstimate | undefined = useVocabEstimate.getState().estimate): Graph {
  if (!estimate) return graph;
  return withVocabSizes(graph, estimatedTableRows(graph, estimate.distinct), { keepRecorded: true });
}

/** What the sizes of auto columns rest on, for the status bar and the inspector; undefined when no input sizes its tables from the data. */
export function vocabSizing(graph: Graph, validation: Validation, estimate: VocabEstimate | undefined): { estimated: boolean; note: string } | undefined {
  const auto = graph.nodes.filter(sizesFromData);
  if (auto.length === 0) return undefined;
  const placeholders = auto.flatMap((n) => validation.outputs.get(n.id)?.ids?.fields ?? []).filter((f) => f.estimated).length;
  if (placeholders > 0) {
    const columns = placeholders === 1 ? '1 auto vocabulary column has' : `${placeholders} auto vocabulary columns have`;
    return { estimated: true, note: `${columns} a placeholder size until a data file is inspected or the model is trained` };
  }
  const fitted = auto.every((n) => typeof n.params.vocabSizes === 'object' && n.params.vocabSizes !== null);
  if (fitted || !estimate) return { estimated: false, note: 'auto vocabulary sizes as training fitted them' };
  return {
    estimated: true,
    note: `auto vocabulary sizes estimated from the first ${estimate.rows.toLocaleString('en-US')} rows of ${estimate.file}; training fits them on the whole file`,
  };
}

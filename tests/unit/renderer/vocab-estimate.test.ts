import { describe, expect, it } from 'vitest';
import { withVocabSizes } from '../../../app/data/vocab-sizes';
import { validateGraph } from '../../../app/validate/validate';
import type { DatasetInspection } from '../../../renderer/api/responses';
import { designerGraph, estimateFromInspection, vocabSizing } from '../../../renderer/state/vocab-estimate';
import { template } from '../train/helpers';

/** The designer sizes auto columns by the last inspected file until training fits them; the status bar says which. */
const inspection = (counts: Record<string, number>, features: { graphColumn: string; dataColumn: string }[] = []): DatasetInspection =>
  ({
    path: '/data/census.csv',
    columns: Object.keys(counts),
    separator: ',',
    compressed: false,
    hasHeader: true,
    kinds: {},
    rows: [],
    distinct: { rows: 500, counts },
    binding: { features: features.map((f) => ({ input: 'categorical', nodeId: 'categorical', as: 'ids' as const, found: true, ...f })), labels: [], problems: [] },
  }) as DatasetInspection;

describe('vocabulary estimate in the designer', () => {
  it('counts by graph column, through the binding where it maps a graph column to another data column', () => {
    const estimate = estimateFromInspection(inspection({ SEX: 2, race: 5 }, [{ graphColumn: 'sex', dataColumn: 'SEX' }]));
    expect(estimate?.distinct.get('sex')).toBe(2);
    expect(estimate?.distinct.get('race')).toBe(5);
    expect(estimateFromInspection(undefined)).toBeUndefined();
  });

  it('sizes auto columns by the estimate (sex 2 values → 3 rows) and says the count is an estimate from the file', () => {
    const graph = template('mmoe');
    const placeholder = vocabSizing(graph, validateGraph(graph), undefined);
    expect(placeholder).toEqual({ estimated: true, note: '32 auto vocabulary columns have a placeholder size until a data file is inspected or the model is trained' });
    const estimate = estimateFromInspection(inspection({ sex: 2, race: 5 }));
    const sized = designerGraph(graph, estimate);
    const fields = validateGraph(sized).outputs.get('categorical')?.ids?.fields ?? [];
    expect(fields.find((f) => f.column === 'sex')).toEqual({ column: 'sex', vocabSize: 3 });
    expect(fields.find((f) => f.column === 'race')).toEqual({ column: 'race', vocabSize: 6 });
    // Columns the file lacks keep the placeholder, so the sizing still says so.
    expect(fields.filter((f) => f.estimated)).toHaveLength(30);
    const all = estimateFromInspection(inspection(Object.fromEntries(fields.map((f) => [f.column, 4]))));
    const fullySized = designerGraph(graph, all);
    expect(vocabSizing(graph, validateGraph(fullySized), all)).toEqual({
      estimated: true,
      note: 'auto vocabulary sizes estimated from the first 500 rows of /data/census.csv; training fits them on the whole file',
    });
  });

  it('keeps sizes a training run recorded, and then says they are fitted', () => {
    const fitted = withVocabSizes(template('mmoe'), new Map([['sex', 3]]));
    const estimate = estimateFromInspection(inspection({ sex: 9 }));
    const fields = validateGraph(designerGraph(fitted, estimate)).outputs.get('categorical')?.ids?.fields ?? [];
    expect(fields.find((f) => f.column === 'sex')).toEqual({ column: 'sex', vocabSize: 3 });
    const all = withVocabSizes(template('mmoe'), new Map(fields.map((f) => [f.column, 3])));
    expect(vocabSizing(all, validateGraph(all), estimate)).toEqual({ estimated: false, note: 'auto vocabulary sizes as training fitted them' });
    expect(vocabSizing(template('esmm'), validateGraph(template('esmm')), estimate)).toBeUndefined();
  });
});

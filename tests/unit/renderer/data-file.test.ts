import { describe, expect, it } from 'vitest';
import type { DatasetInspection } from '../../../renderer/api/responses';
import { beginInspect, chooseDataFile, clearDataPreview, endInspect, initialDataFile, recheckDataFile, type DataFileState } from '../../../renderer/state/data-file';

const inspection = (columns: string[]) => ({ columns, rows: [], kinds: {}, hasHeader: true, separator: ',', compressed: false }) as unknown as DatasetInspection;

/** Asks and answers one inspection, as the data card's effect does. */
const inspect = (s: DataFileState, answer: DatasetInspection | undefined, error?: string) => {
  const { state, ticket } = beginInspect(s);
  return endInspect(state, ticket, answer, error);
};

describe('the data file of the Train tab', () => {
  it('reads the same path again when it is chosen again (the file may have been fixed), its error gone at once', () => {
    let s = chooseDataFile(initialDataFile, 'data.csv');
    s = inspect(s, undefined, 'data.csv:3: expected 4 fields, got 3');
    const chosen = s.dataChoice;
    s = chooseDataFile(s, 'data.csv');
    expect(s.dataChoice).toBeGreaterThan(chosen);
    expect(s.inspectError).toBeUndefined();
    s = inspect(s, inspection(['a', 'b', 'c', 'd']));
    const again = recheckDataFile(s);
    expect(again.dataChoice).toBeGreaterThan(s.dataChoice);
    // Pressing Enter or "Check again" keeps the preview until the new answer replaces it.
    expect(again.inspection?.columns).toEqual(['a', 'b', 'c', 'd']);
  });

  it('clears the previous file’s preview as soon as another file is chosen or dropped', () => {
    let s = inspect(chooseDataFile(initialDataFile, 'a.csv'), inspection(['a']));
    expect(s.inspection?.columns).toEqual(['a']);
    expect(clearDataPreview(s)).toMatchObject({ inspection: undefined, inspectError: undefined, inspecting: false, dataPath: 'a.csv' });
    s = chooseDataFile(s, 'b.csv');
    expect(s.inspection).toBeUndefined();
  });

  it('drops an answer about a file that is no longer the chosen one', () => {
    let s = chooseDataFile(initialDataFile, 'a.csv');
    const forA = beginInspect(s);
    s = chooseDataFile(forA.state, 'b.csv');
    const forB = beginInspect(s);
    s = endInspect(forB.state, forB.ticket, inspection(['b']));
    s = endInspect(s, forA.ticket, inspection(['a']));
    expect(s).toMatchObject({ inspecting: false, inspection: { columns: ['b'] } });
    // A drop starts while the file in the field is being read again: that answer is not shown either.
    const during = beginInspect(s);
    s = endInspect(clearDataPreview(during.state), during.ticket, inspection(['b']));
    expect(s.inspection).toBeUndefined();
  });
});

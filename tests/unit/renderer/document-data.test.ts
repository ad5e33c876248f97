import { describe, expect, it } from 'vitest';
import { documentKey, EMPTY_SETUP, renameDocument, switchDocument, type DataSetup } from '../../../renderer/state/document-data';

const census: DataSetup = { dataPath: 'census-2000.csv', binding: { header: false, columns: ['age', 'income'] } };
const aliCcp: DataSetup = { dataPath: 'ali_ccp_train_sample.csv', binding: { header: true } };

/** The Train tab's data file and binding belong to a document (#21.10). */
describe('data setup per document', () => {
  it('a graph opened for the first time starts with no data file and no binding', () => {
    const { setup } = switchDocument(new Map(), { key: 'untitled:MMoE', setup: census }, 'untitled:ESMM');
    expect(setup).toEqual(EMPTY_SETUP);
  });

  it('reopening a graph brings back its own file and binding, and the other keeps its own', () => {
    const toEsmm = switchDocument(new Map(), { key: 'untitled:MMoE', setup: census }, 'untitled:ESMM');
    const backToMmoe = switchDocument(toEsmm.setups, { key: 'untitled:ESMM', setup: aliCcp }, 'untitled:MMoE');
    expect(backToMmoe.setup).toEqual(census);
    expect(switchDocument(backToMmoe.setups, { key: 'untitled:MMoE', setup: census }, 'untitled:ESMM').setup).toEqual(aliCcp);
  });

  it('a saved graph is known by its file, an unsaved one by its name; Save As moves what it keeps', () => {
    expect(documentKey('/w/a.json', 'MMoE')).toBe('file:/w/a.json');
    expect(documentKey(undefined, 'MMoE')).toBe('untitled:MMoE');
    const setups = renameDocument(new Map([['untitled:MMoE', census]]), 'untitled:MMoE', 'file:/w/a.json');
    expect([...setups]).toEqual([['file:/w/a.json', census]]);
  });
});

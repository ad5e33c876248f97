import type { BindingDraft } from './binding-editor';

/**
 * The Train tab's data file and binding belong to one graph: a binding names that graph's columns
 * and that file's columns, so carried over to another graph it fails in confusing ways (ESMM after
 * MMoE: "42 column names were given but the first row has 33 fields"). Each document keeps its own;
 * reopening a graph in the session brings its file and binding back.
 *
 * A graph opened for the first time starts with no data file rather than the previous one: a file
 * that fits one model rarely fits another (census for MMoE, Ali-CCP for ESMM, sequences for DIN),
 * and an empty field with the layout offer one pick away is clearer than a file that silently
 * belongs to another graph.
 */
export interface DataSetup {
  dataPath: string;
  binding: BindingDraft;
}

export const EMPTY_SETUP: DataSetup = { dataPath: '', binding: {} };

/** A saved graph by its file; an unsaved one (a template, a new canvas) by its name. */
export const documentKey = (path: string | undefined, graphName: string): string => (path ? `file:${path}` : `untitled:${graphName}`);

/** Keeps the setup of the document left, and answers the setup of the document entered. */
export function switchDocument(
  setups: ReadonlyMap<string, DataSetup>,
  left: { key: string; setup: DataSetup } | undefined,
  entered: string,
): { setups: Map<string, DataSetup>; setup: DataSetup } {
  const next = new Map(setups);
  if (left && (left.setup.dataPath !== '' || Object.keys(left.setup.binding).length > 0)) next.set(left.key, left.setup);
  return { setups: next, setup: next.get(entered) ?? EMPTY_SETUP };
}

/** Save As gives the open document a new key: what it keeps moves with it. */
export function renameDocument(setups: ReadonlyMap<string, DataSetup>, from: string, to: string): Map<string, DataSetup> {
  const next = new Map(setups);
  const kept = next.get(from);
  next.delete(from);
  if (kept) next.set(to, kept);
  return next;
}

export const isEmptyBinding = (binding: BindingDraft): boolean => Object.keys(binding).length === 0;

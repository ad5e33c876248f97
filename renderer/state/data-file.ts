import type { DatasetInspection } from '../api/responses';

/**
 * The Train tab's data file and what the host said about it, as pure transitions (the train store
 * applies them). What is shown always belongs to the file in the field: choosing a file (the same
 * one again included: it may have been fixed since) drops the previous preview and error at once,
 * and an answer to an older inspection is dropped when it comes.
 */
export interface DataFileState {
  dataPath: string;
  /** Counts every choice of a file; the inspection effect re-runs on it. */
  dataChoice: number;
  inspection?: DatasetInspection;
  inspectError?: string;
  inspecting: boolean;
  /** The newest inspection asked for; answers carry the ticket they were asked with. */
  inspectTicket: number;
}

export const initialDataFile: DataFileState = { dataPath: '', dataChoice: 0, inspecting: false, inspectTicket: 0 };

const cleared = (s: DataFileState) => ({ inspection: undefined, inspectError: undefined, inspecting: false, inspectTicket: s.inspectTicket + 1 });

export const chooseDataFile = (s: DataFileState, dataPath: string): DataFileState => ({ ...s, ...cleared(s), dataPath, dataChoice: s.dataChoice + 1 });

/** The same file read again (the user fixed it): its preview stays until the new answer. */
export const recheckDataFile = (s: DataFileState): DataFileState => ({ ...s, dataChoice: s.dataChoice + 1 });

/** A file is being dropped: what was shown of the previous one is no longer what will be used. */
export const clearDataPreview = (s: DataFileState): DataFileState => ({ ...s, ...cleared(s) });

export const beginInspect = (s: DataFileState): { state: DataFileState; ticket: number } => {
  const ticket = s.inspectTicket + 1;
  return { state: { ...s, inspectTicket: ticket, inspecting: true }, ticket };
};

export const endInspect = (s: DataFileState, ticket: number, inspection: DatasetInspection | undefined, inspectError?: string): DataFileState =>
  ticket === s.inspectTicket ? { ...s, inspection, inspectError, inspecting: false } : s;

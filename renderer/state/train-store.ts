import { create } from 'zustand';
import type { Graph } from '../../app/graph/schema';
import type { DatasetInspection, GateInspection, AttentionInspection, RunListEntry, TrainEventPayload } from '../api/responses';
import { callHost, onHostEvent } from '../api/host';
import type { BindingDraft } from './binding-editor';
import { beginValidCheck, chooseValidFile, endValidCheck, initialValidFile, type ValidFileState } from './valid-file';
import { beginInspect, chooseDataFile, clearDataPreview, endInspect, initialDataFile, recheckDataFile, type DataFileState } from './data-file';
import { reduceRun, runViewFromDetails, startRunView, type RunView } from './run-view';
import { documentKey, renameDocument, switchDocument, type DataSetup } from './document-data';
import { editorStore } from './editor';
import { setVocabEstimate } from './vocab-estimate';
import { DEFAULT_OPTIONS, type TrainOptionsDraft } from './train-options';
import { toast, useUi } from './ui-store';

/** The toasts about a run: a newer one replaces the older, a new run clears them. */
export const TRAINING_TOPIC = 'training';
const dismissTopic = (topic: string) => useUi.getState().dismissTopic(topic);

export { DEFAULT_OPTIONS, type TrainOptionsDraft } from './train-options';

/**
 * The Train tab's state: the data file and its inspection, the binding being edited, the
 * hyperparameters, the run started from this window (live, from host events) and a run opened
 * from the list.
 */
interface TrainState extends DataFileState {
  binding: BindingDraft;
  /** The open document (document-data.ts): the data file and binding above are its own. */
  documentKey: string;
  /** The data file and binding of the other documents opened in this session. */
  setups: ReadonlyMap<string, DataSetup>;
  /** "Check again" asked for: if the binding does not fit the file, it is derived again from the file. */
  rederivePending: boolean;
  options: TrainOptionsDraft;
  /** An optional validation file: when set, the run validates on it instead of a share of the data file. */
  valid: ValidFileState;
  live?: RunView;
  viewed?: RunView;
  runs: RunListEntry[];
  gates?: GateInspection;
  attention?: AttentionInspection;

  /** A data file chosen (typed, browsed, dropped): what was shown of the previous one goes at once. */
  setDataPath(path: string): void;
  /** The same file read again (after it was fixed, say), its preview kept until the answer comes. */
  recheckData(options?: { rederive?: boolean }): void;
  /** Another document opened: this one's file and binding are kept, that one's brought back (or none). */
  enterDocument(key: string): void;
  /** The open document saved under another name. */
  renameDocument(key: string): void;
  clearRederive(): void;
  /** While a dropped file is copied: the previous file's preview and errors are no longer what will be used. */
  clearInspection(): void;
  beginInspect(): number;
  endInspect(ticket: number, inspection: DatasetInspection | undefined, error?: string): void;
  setBinding(binding: BindingDraft): void;
  setOptions(patch: Partial<TrainOptionsDraft>): void;
  setValidPath(path: string): void;
  beginValidInspect(): number;
  endValidInspect(ticket: number, answer: { columns: number } | { error: string }): void;
  /** `batchSize` lets the loss chart weigh an epoch's shorter last step exactly; `bestMetric` names the metric that picks the best epoch. */
  startLive(runId: string, batchSize?: number, graph?: Graph, bestMetric?: string): void;
  setStopping(): void;
  view(run: RunView | undefined): void;
  setRuns(runs: RunListEntry[]): void;
  setGates(gates: GateInspection | undefined): void;
  setAttention(attention: AttentionInspection | undefined): void;
}

export const useTrain = create<TrainState>()((set, get) => ({
  ...initialDataFile,
  binding: {},
  documentKey: currentDocumentKey(),
  setups: new Map(),
  rederivePending: false,
  options: DEFAULT_OPTIONS,
  valid: initialValidFile,
  runs: [],

  setDataPath: (dataPath) => set(chooseDataFile(get(), dataPath)),
  recheckData: (options) => set({ ...recheckDataFile(get()), rederivePending: options?.rederive === true }),
  enterDocument: (key) => {
    const state = get();
    if (key === state.documentKey) return;
    const { setups, setup } = switchDocument(state.setups, { key: state.documentKey, setup: { dataPath: state.dataPath, binding: state.binding } }, key);
    set({ ...chooseDataFile(state, setup.dataPath), binding: setup.binding, setups, documentKey: key, rederivePending: false, valid: chooseValidFile(state.valid, '') });
  },
  renameDocument: (key) => set({ setups: renameDocument(get().setups, get().documentKey, key), documentKey: key }),
  clearRederive: () => set({ rederivePending: false }),
  clearInspection: () => set(clearDataPreview(get())),
  beginInspect: () => {
    const { state, ticket } = beginInspect(get());
    set(state);
    return ticket;
  },
  endInspect: (ticket, inspection, inspectError) => {
    set(endInspect(get(), ticket, inspection, inspectError));
    if (ticket === get().inspectTicket) setVocabEstimate(inspection);
  },
  setBinding: (binding) => set({ binding }),
  setOptions: (patch) => set({ options: { ...get().options, ...patch } }),
  setValidPath: (path) => set({ valid: chooseValidFile(get().valid, path) }),
  beginValidInspect: () => {
    const valid = beginValidCheck(get().valid);
    set({ valid });
    return valid.ticket;
  },
  endValidInspect: (ticket, answer) => set({ valid: endValidCheck(get().valid, ticket, answer) }),
  startLive: (runId, batchSize, graph, bestMetric) => {
    // What an earlier run's toast said (it failed, it finished) is no longer news once another starts.
    dismissTopic(TRAINING_TOPIC);
    set({ live: startRunView(runId, batchSize, graph, bestMetric), viewed: undefined, gates: undefined, attention: undefined });
  },
  setStopping: () => {
    const live = get().live;
    if (live) set({ live: { ...live, status: 'stopping' } });
  },
  view: (viewed) => set({ viewed, gates: undefined, attention: undefined }),
  setRuns: (runs) => set({ runs }),
  setGates: (gates) => set({ gates }),
  setAttention: (attention) => set({ attention }),
}));

function currentDocumentKey(): string {
  const { path, graph } = editorStore.getState();
  return documentKey(path, graph.name);
}

// A new document (opened, a template, new) brings its own data setup; a Save As only renames it.
editorStore.subscribe((state, previous) => {
  // load() sets the new id before the new graph: the key is read once both are in.
  if (state.documentId !== previous.documentId) queueMicrotask(() => useTrain.getState().enterDocument(currentDocumentKey()));
  else if (state.path !== previous.path) useTrain.getState().renameDocument(documentKey(state.path, state.graph.name));
});

/** Events may arrive before train:start has answered; they wait here for their run id. */
const early = new Map<string, TrainEventPayload['event'][]>();
let subscribed = false;

export function subscribeToTraining(): void {
  if (subscribed) return;
  subscribed = true;
  onHostEvent((event, payload) => {
    if (event !== 'train:event') return;
    const { runId, event: body } = payload as TrainEventPayload;
    receiveRunEvent(runId, body);
  });
}

/**
 * One event of a run: from the host (engine "node"), or from this window's own training (engine
 * "browser", state/window-run.ts) — the same shapes, the same handling.
 */
export function receiveRunEvent(runId: string, body: TrainEventPayload['event']): void {
  const live = useTrain.getState().live;
  if (!live || live.runId !== runId) {
    early.set(runId, [...(early.get(runId) ?? []), body]);
    return;
  }
  useTrain.setState({ live: reduceRun(live, body) });
  if (body.type === 'finished' || body.type === 'failed' || body.type === 'crashed') {
    if (body.type === 'finished') toast('success', `Training finished: ${body.summary.message}`, { topic: TRAINING_TOPIC });
    else toast('error', `Training ${body.type}: ${body.message}`, { topic: TRAINING_TOPIC });
    void refreshRuns();
  }
}

/** Applies events that came before the run id was known. */
export function adoptEarlyEvents(runId: string): void {
  const waiting = early.get(runId);
  early.delete(runId);
  const live = useTrain.getState().live;
  if (!waiting || !live) return;
  useTrain.setState({ live: waiting.reduce(reduceRun, live) });
}

export async function refreshRuns(): Promise<void> {
  const result = await callHost('runs:list', {});
  if (result.ok) useTrain.getState().setRuns(result.value.runs);
  else toast('error', result.error.message);
}

export async function openRun(dir: string): Promise<void> {
  const result = await callHost('runs:open', { dir });
  if (!result.ok) return toast('error', result.error.message);
  useTrain.getState().view(runViewFromDetails(result.value));
}

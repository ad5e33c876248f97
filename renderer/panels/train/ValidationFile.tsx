import { useEffect } from 'react';
import { isCancelled } from '../../../app/host/contract';
import { callHost, hostMode } from '../../api/host';
import { useEditor } from '../../state/editor';
import { useTrain } from '../../state/train-store';
import { validCheckOf } from '../../state/valid-file';
import { toast, useUi } from '../../state/ui-store';
import { structureKey } from '../../state/validation';

export const DATA_EXTENSIONS = ['.csv', '.tsv', '.txt', '.data', '.test', '.gz', '.parquet'];

/**
 * An optional validation file, read with the data file's binding: the run validates on it (the
 * CLI's `--valid`) instead of holding a share of the data file out.
 */
export function ValidationFile() {
  const valid = useTrain((s) => s.valid);
  const binding = useTrain((s) => s.binding);
  const dataInspection = useTrain((s) => s.inspection);
  const graph = useEditor((s) => s.graph);
  const graphKey = structureKey(graph);
  const path = valid.path.trim();

  // The same inspection as the data file's, with the same binding and graph (debounced).
  useEffect(() => {
    if (!path) return;
    const timer = setTimeout(async () => {
      const store = useTrain.getState();
      const ticket = store.beginValidInspect();
      const result = await callHost('dataset:inspect', { path, binding: store.binding, graph, rows: 1 });
      useTrain.getState().endValidInspect(ticket, result.ok ? validCheckOf(result.value, useTrain.getState().inspection) : { error: result.error.message });
    }, 350);
    return () => clearTimeout(timer);
    // graph is read through graphKey: positions do not change what the data feeds
  }, [path, valid.choice, binding, graphKey, dataInspection?.columns.length]);

  const browse = async () => {
    const set = useTrain.getState().setValidPath;
    if (hostMode() === 'web') {
      const picked = await useUi.getState().askFile({ mode: 'pick-data', title: 'Choose a validation file', extensions: DATA_EXTENSIONS });
      if (picked) set(picked);
      return;
    }
    const result = await callHost('files:pick', { purpose: 'data' });
    if (!result.ok) return toast('error', result.error.message);
    if (!isCancelled(result.value)) set(result.value.path);
  };

  return (
    <div className="valid-file">
      <div className="inline-row">
        <input
          type="text"
          value={valid.path}
          placeholder="validation file (optional; else a share of the data file)"
          onChange={(e) => useTrain.getState().setValidPath(e.target.value)}
          spellCheck={false}
          data-testid="valid-path"
          aria-label="Validation file"
        />
        <button type="button" className="btn" onClick={() => void browse()} data-testid="valid-browse">
          Browse…
        </button>
        {path && (
          <button type="button" className="btn" onClick={() => useTrain.getState().setValidPath('')} data-testid="valid-clear" aria-label="No validation file">
            ✕
          </button>
        )}
      </div>
      {path && (valid.checking || (valid.columns === undefined && !valid.error)) && (
        <p className="dim small busy" data-testid="valid-reading">
          <span className="spinner" aria-hidden="true" />
          Reading the validation file…
        </p>
      )}
      {path && !valid.checking && valid.error && (
        <p className="issue issue-error" data-testid="valid-error">
          Validation file: {valid.error}
        </p>
      )}
      {path && !valid.checking && valid.columns !== undefined && (
        <p className="dim small" data-testid="valid-facts">
          Validation file: {valid.columns} columns, read with the binding above; the validation share is not used.
        </p>
      )}
    </div>
  );
}

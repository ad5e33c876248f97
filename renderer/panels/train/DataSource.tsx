import { useEffect, useState, type DragEvent } from 'react';
import { isCancelled } from '../../../app/host/contract';
import { callHost, dropFile, hostMode } from '../../api/host';
import { useEditor } from '../../state/editor';
import type { BindingDraft } from '../../state/binding-editor';
import { isEmptyBinding } from '../../state/document-data';
import { useTrain } from '../../state/train-store';
import { toast, useUi } from '../../state/ui-store';
import { structureKey } from '../../state/validation';
import { DATA_EXTENSIONS, ValidationFile } from './ValidationFile';

/** Choose the data file; the host inspects it (columns, kinds, first rows, how it feeds the graph). */
export function DataSource() {
  const { dataPath, dataChoice, setDataPath, inspection, inspectError, inspecting } = useTrain();
  const binding = useTrain((s) => s.binding);
  const graph = useEditor((s) => s.graph);
  const graphKey = structureKey(graph);

  // Re-inspect when a file is chosen (the same one again included), the binding or the graph's structure changes (debounced).
  useEffect(() => {
    if (!dataPath.trim()) return;
    const timer = setTimeout(async () => {
      const store = useTrain.getState();
      const ticket = store.beginInspect();
      const inspect = (binding: BindingDraft) => callHost('dataset:inspect', { path: dataPath.trim(), binding, graph, rows: 8 });
      let result = await inspect(store.binding);
      // "Check again" on a file the binding does not fit (it was made for another file or graph):
      // the binding is derived again from the file, if the file reads without it.
      if (!result.ok && store.rederivePending && !isEmptyBinding(store.binding)) {
        const fresh = await inspect({});
        if (fresh.ok) {
          result = fresh;
          store.setBinding({});
          toast('info', 'The binding did not fit this file: it was derived again from the file.');
        }
      }
      if (store.rederivePending) store.clearRederive();
      if (result.ok) store.endInspect(ticket, result.value);
      else store.endInspect(ticket, undefined, result.error.message);
    }, 350);
    return () => clearTimeout(timer);
    // graph is read through graphKey: positions do not change what the data feeds
  }, [dataPath, dataChoice, binding, graphKey]);

  // A file dropped here: its path (desktop), or a copy sent into the workspace (web mode).
  const [dropping, setDropping] = useState<'over' | { name: string; sent: number; size: number } | undefined>();
  const hasFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  const onDragOver = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    if (dropping === undefined) setDropping('over');
  };
  const onDrop = async (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (!file) return setDropping(undefined);
    if (e.dataTransfer.files.length > 1) toast('info', `Using ${file.name}; drop one data file at a time`);
    setDropping({ name: file.name, sent: 0, size: file.size });
    useTrain.getState().clearInspection();
    const result = await dropFile(file, (sent) => setDropping({ name: file.name, sent, size: file.size }));
    setDropping(undefined);
    if (!result.ok) {
      // The file in the field is still the one that will be used: show it again.
      if (dataPath.trim()) useTrain.getState().recheckData();
      return toast('error', result.error.message);
    }
    setDataPath(result.value.path);
    if (result.value.copied) toast('success', `${file.name} copied into the workspace: ${result.value.path}`);
  };

  const browse = async () => {
    if (hostMode() === 'web') {
      const path = await useUi.getState().askFile({ mode: 'pick-data', title: 'Choose a data file', extensions: DATA_EXTENSIONS });
      if (path) setDataPath(path);
      return;
    }
    const result = await callHost('files:pick', { purpose: 'data' });
    if (!result.ok) return toast('error', result.error.message);
    if (!isCancelled(result.value)) setDataPath(result.value.path);
  };

  return (
    <section
      className={`card drop-target${dropping === 'over' ? ' drop-over' : ''}`}
      onDragOver={onDragOver}
      onDragLeave={(e) => e.currentTarget === e.target && dropping === 'over' && setDropping(undefined)}
      onDrop={(e) => void onDrop(e)}
      data-testid="data-drop"
    >
      <h3>Data</h3>
      <div className="inline-row">
        <input
          type="text"
          value={dataPath}
          placeholder="data file (CSV / TSV, may be .gz)"
          onChange={(e) => setDataPath(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && useTrain.getState().recheckData()}
          spellCheck={false}
          data-testid="data-path"
          aria-label="Data file"
        />
        <button type="button" className="btn" onClick={() => void browse()} data-testid="data-browse">
          Browse…
        </button>
      </div>
      <p className="dim small">{hostMode() === 'web' ? 'Or drop a data file here: it is copied into the workspace (uploads/).' : 'Or drop a data file here.'}</p>
      {typeof dropping === 'object' && (
        <p className="dim small" data-testid="data-upload">
          Copying {dropping.name}… {dropping.size ? Math.round((100 * dropping.sent) / dropping.size) : 0}%
        </p>
      )}
      {dataPath.trim() !== '' && typeof dropping !== 'object' && (inspecting || (!inspection && !inspectError)) && (
        <p className="dim small busy" data-testid="data-reading">
          <span className="spinner" aria-hidden="true" />
          Reading the file…
        </p>
      )}
      {inspectError && (
        <p className="issue issue-error" data-testid="data-error">
          {inspectError}{' '}
          <button type="button" className="btn btn-small" onClick={() => useTrain.getState().recheckData({ rederive: true })} data-testid="data-recheck">
            Check again
          </button>
        </p>
      )}
      {inspection && (
        <>
          <p className="dim small" data-testid="data-facts">
            {/* A Parquet file names its own columns and has no separator (app/data/parquet-source.ts). */}
            {/\.parquet$/i.test(inspection.path) ? (
              `${inspection.columns.length} columns · Parquet`
            ) : (
              <>
                {inspection.columns.length} columns · {inspection.hasHeader ? 'header row' : 'no header row'} · separator {JSON.stringify(inspection.separator)}
                {inspection.compressed ? ' · gzip' : ''}
              </>
            )}
          </p>
          {inspection.error && <p className="issue issue-warning">{inspection.error.message}</p>}
          <details className="preview">
            <summary>Columns and first rows</summary>
            <div className="table-wrap">
              <table className="data-table">
                <thead>
                  <tr>
                    {inspection.columns.map((c) => (
                      <th key={c} title={inspection.kinds[c]?.reason}>
                        {c}
                        <span className={`kind kind-${inspection.kinds[c]?.kind ?? 'unknown'}`}>{inspection.kinds[c]?.kind ?? '?'}</span>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {inspection.rows.map((row, i) => (
                    <tr key={i}>
                      {row.map((v, j) => (
                        <td key={j}>{v ?? <span className="dim">∅</span>}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
      <ValidationFile />
    </section>
  );
}

import { useEffect } from 'react';
import { isCancelled } from '../../../app/host/contract';
import { callHost, hostMode } from '../../api/host';
import type { RunListEntry } from '../../api/responses';
import { openRun, refreshRuns, useTrain } from '../../state/train-store';
import { toast, useUi } from '../../state/ui-store';

const best = (run: RunListEntry): string => {
  const tasks = run.best?.tasks ?? {};
  const aucs = Object.entries(tasks)
    .filter(([, m]) => m.auc !== undefined)
    .map(([t, m]) => `${t} AUC ${m.auc?.toFixed(3)}`);
  return aucs.join(' · ') || (run.best ? `loss ${run.best.loss.toFixed(4)}` : '');
};

export async function exportRun(dir: string): Promise<void> {
  let to: string | undefined;
  if (hostMode() === 'web') {
    to = await useUi.getState().askFile({ mode: 'export-run', title: 'Export the model to a folder', suggestedName: 'exported-models' });
    if (!to) return;
  }
  const result = await callHost('runs:export', { dir, ...(to ? { to } : {}) });
  if (!result.ok) return toast('error', result.error.message);
  if (!isCancelled(result.value)) toast('success', `Exported ${result.value.files.length} files to ${result.value.to}`);
}

/** Past runs in the runs folder, newest first, with their best metrics. */
export function RunsList() {
  const runs = useTrain((s) => s.runs);
  const viewed = useTrain((s) => s.viewed);
  useEffect(() => void refreshRuns(), []);
  return (
    <section className="card runs-card">
      <div className="card-head">
        <h3>Runs</h3>
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={() => void refreshRuns()}>
          Refresh
        </button>
      </div>
      {runs.length === 0 && <p className="dim small">No runs yet. Runs are kept in the workspace’s runs folder.</p>}
      <ul className="runs-list" data-testid="runs-list">
        {runs.map((run) => (
          <li key={run.dir} className={`run-item ${viewed?.dir === run.dir ? 'is-active' : ''}`}>
            <button type="button" className="run-open" onClick={() => void openRun(run.dir)} data-testid="run-item">
              <span className={`run-dot status-${run.status}`} />
              <span className="run-name">{run.graph}</span>
              <span className="dim small">{run.startedAt ? new Date(run.startedAt).toLocaleString() : run.name}</span>
              <span className="run-best small">{run.status === 'finished' ? best(run) : run.status}</span>
            </button>
            {run.status === 'finished' && (
              <button type="button" className="btn btn-small" onClick={() => void exportRun(run.dir)} title="Export the trained model (tfjs layers format, with its encoders)">
                Export
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

import { useEffect } from 'react';
import { isCancelled } from '../../../app/host/contract';
import { callHost, hostMode } from '../../api/host';
import type { MaybeMetric, RunListEntry } from '../../api/responses';
import { isActive } from '../../state/run-view';
import { openRun, refreshRuns, useTrain } from '../../state/train-store';
import { toast, useUi } from '../../state/ui-store';
import { RunActions, RunCompare, RunMetaBadge, RunSelect } from './RunCompare';

/** One AUC as the list shows it: three decimals, or "—" with why there is none (hover, and for screen readers). */
function Auc({ metric, testId }: { metric: MaybeMetric; testId: string }) {
  if (metric.value !== null) return <span data-testid={testId}>{metric.value.toFixed(3)}</span>;
  return (
    <span className="auc-undefined" title={`AUC undefined: ${metric.reason}`} aria-label={`AUC undefined: ${metric.reason}`} data-testid={testId}>
      —
    </span>
  );
}

/** The best validation AUC per task and their mean; loss for a run without validation AUCs. */
function BestMetrics({ run }: { run: RunListEntry }) {
  const auc = run.validAuc;
  if (!auc) return <>{run.best ? `loss ${run.best.loss.toFixed(4)}` : ''}</>;
  const parts = Object.entries(auc.tasks).map(([task, metric]) => ({ key: task, label: task, metric, testId: `run-auc-${task}` }));
  if (parts.length > 1) parts.push({ key: ' mean', label: 'mean', metric: auc.mean, testId: 'run-auc-mean' });
  return (
    <>
      {run.status === 'finished' ? 'best' : 'best so far'} (epoch {auc.epoch}): AUC{' '}
      {parts.map((p, i) => (
        <span key={p.key}>
          {i > 0 ? ' · ' : ''}
          {p.label} <Auc metric={p.metric} testId={p.testId} />
        </span>
      ))}
    </>
  );
}

/** What tells runs of the same graph apart: data file, epochs, backend, status. */
const facts = (run: RunListEntry): string =>
  [run.data ?? 'data file not recorded', `${run.epochsDone} epoch${run.epochsDone === 1 ? '' : 's'}`, run.backend, run.status].filter(Boolean).join(' · ');

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

/**
 * The runs in the runs folder, newest first, the one training now included: each with its data
 * file, epochs, backend, status and best validation AUCs. Read again when this window's run gets
 * its folder, ends an epoch, or ends, so the run in progress shows and keeps up.
 */
export function RunsList() {
  const runs = useTrain((s) => s.runs);
  const viewed = useTrain((s) => s.viewed);
  const live = useTrain((s) => s.live);
  const liveKey = live ? `${live.runId ?? ''}|${live.dir ?? ''}|${live.status}|${live.epochs.length}` : '';
  useEffect(() => void refreshRuns(), [liveKey]);
  // Before its folder exists (the data is still being read), the run is not in the folder list yet.
  const preparing = live && isActive(live) && !runs.some((r) => (live.runId !== undefined && r.runId === live.runId) || (live.dir !== undefined && r.dir === live.dir));
  return (
    <section className="card runs-card">
      <div className="card-head">
        <h3>Runs</h3>
        <span className="spacer" />
        <button type="button" className="btn btn-small" onClick={() => void refreshRuns()}>
          Refresh
        </button>
      </div>
      {runs.length === 0 && !preparing && <p className="dim small">No runs yet. Runs are kept in the workspace’s runs folder.</p>}
      <ul className="runs-list" data-testid="runs-list">
        {preparing && (
          <li className="run-item" data-testid="run-preparing">
            <span className="run-open">
              <span className="run-dot status-running" />
              <span className="run-name">{live.name ?? 'This run'}</span>
              <span className="dim small">starting</span>
              <span className="run-best small">{live.stages.at(-1) ?? 'preparing the data…'}</span>
            </span>
          </li>
        )}
        {runs.map((run) => (
          <li key={run.dir} className={`run-item ${viewed?.dir === run.dir ? 'is-active' : ''}`} data-status={run.status}>
            <RunSelect run={run} />
            <button type="button" className="run-open" onClick={() => void openRun(run.dir)} data-testid="run-item" title={run.message ?? run.dir}>
              <span className={`run-dot status-${run.status}`} />
              <span className="run-name">
                {run.graph}
                <RunMetaBadge run={run} />
              </span>
              <span className="dim small">{run.startedAt ? new Date(run.startedAt).toLocaleString() : run.name}</span>
              <span className="run-best small" data-testid="run-facts">
                {facts(run)}
              </span>
              <span className="run-best small" data-testid="run-best">
                <BestMetrics run={run} />
              </span>
            </button>
            {run.status === 'finished' && (
              <button type="button" className="btn btn-small" onClick={() => void exportRun(run.dir)} title="Export the trained model (tfjs layers format, with its encoders)">
                Export
              </button>
            )}
            <RunActions run={run} />
          </li>
        ))}
      </ul>
      <RunCompare />
    </section>
  );
}

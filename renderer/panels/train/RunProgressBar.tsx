import { formatDuration, type RunView } from '../../state/run-view';

const STATUS_WORDS: Record<RunView['status'], string> = {
  starting: 'Starting…',
  running: 'Training',
  stopping: 'Stopping…',
  finished: 'Finished',
  failed: 'Failed',
  crashed: 'Crashed',
  incomplete: 'Incomplete',
};

/** Status, progress with ETA and throughput, and the backend with the reason for it. */
export function RunProgressBar({ view }: { view: RunView }) {
  const p = view.progress;
  // Before the first step the bar shows the data being read.
  const reading = !p && view.status !== 'finished' ? view.reading : undefined;
  const done = view.status === 'finished' ? 1 : p ? (p.epoch - 1 + p.step / Math.max(1, p.steps)) / Math.max(1, p.epochs) : reading ? reading.done / Math.max(1, reading.total) : 0;
  return (
    <div className={`run-progress status-${view.status}`} data-testid="run-progress" data-status={view.status}>
      <div className="run-progress-head">
        <span className="run-status">{STATUS_WORDS[view.status]}</span>
        {p && (
          <span className="dim">
            epoch {p.epoch}/{p.epochs} · step {p.step}/{p.steps}
          </span>
        )}
        {reading && (
          <span className="dim" data-testid="run-reading">
            reading the data · {Math.round((100 * reading.done) / Math.max(1, reading.total))}% · {reading.rows.toLocaleString('en-US')} rows · ETA {formatDuration(reading.etaSeconds)}
          </span>
        )}
        <span className="spacer" />
        {p && view.status === 'running' && <span>ETA {formatDuration(p.etaSeconds)}</span>}
        {p && <span className="dim">{Math.round(p.samplesPerSecond).toLocaleString('en-US')} samples/s</span>}
      </div>
      <div className="progress-track">
        <div className="progress-fill" style={{ width: `${Math.round(done * 1000) / 10}%` }} />
      </div>
      <div className="run-facts">
        {view.backend && (
          <span>
            backend <strong>{view.backend}</strong>
          </span>
        )}
        {view.trainRows !== undefined && (
          <span>
            {view.trainRows.toLocaleString('en-US')} train / {(view.validRows ?? 0).toLocaleString('en-US')} validation rows
          </span>
        )}
        {view.parameters !== undefined && <span>{view.parameters.toLocaleString('en-US')} parameters</span>}
        {view.dir && <code className="dim">{view.dir}</code>}
      </div>
      {view.stages.length > 0 && (
        // The first stage says which backend runs and why faster ones were passed over; the rest are
        // steps. A long note on every run pushed the charts down: it opens on demand.
        <details className="run-stages" data-testid="run-stages">
          <summary className="dim small">
            Why this backend, and the steps so far
          </summary>
          <ul className="run-stage" data-testid="run-stage">
            {view.stages.map((stage, i) => (
              <li key={i}>{stage}</li>
            ))}
          </ul>
        </details>
      )}
      {view.message && <div className={`run-message ${view.status === 'failed' || view.status === 'crashed' ? 'issue issue-error' : ''}`}>{view.message}</div>}
    </div>
  );
}

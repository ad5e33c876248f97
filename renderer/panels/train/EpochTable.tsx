import { aucUndefinedReason } from '../../../app/train/metrics';
import type { TaskMetrics } from '../../../app/train/session';
import { bestEpochLegend, gaucTasks, type RunView } from '../../state/run-view';

const fmt = (v: number | null | undefined, digits = 4) => (typeof v !== 'number' || !Number.isFinite(v) ? '—' : v.toFixed(digits));

/**
 * A validation AUC cell: the value, or "—" with why there is none (a task with no positive rows in
 * validation has no AUC; a NaN arrives as null through JSON), in its tooltip.
 */
function AucCell({ metrics, task }: { metrics: TaskMetrics | undefined; task: string }) {
  const reason = metrics ? aucUndefinedReason(metrics) : undefined;
  if (reason === undefined) return <td>{fmt(metrics?.auc)}</td>;
  return (
    <td className="auc-undefined" title={`AUC undefined: ${reason}`} aria-label={`AUC undefined: ${reason}`} data-testid={`epoch-auc-undefined-${task}`}>
      —
    </td>
  );
}

/**
 * One row per epoch: train and validation loss per task, validation AUC (and GAUC where the binding
 * has a group), the learning rate where a schedule changed it, time.
 */
export function EpochTable({ view }: { view: RunView }) {
  const epochs = [...view.epochs].sort((a, b) => a.epoch - b.epoch);
  if (epochs.length === 0) return null;
  const best = view.summary?.bestEpoch;
  const withGauc = new Set(gaucTasks(view));
  // A constant rate says nothing per epoch; a scheduled one gets its column.
  const scheduled = new Set(epochs.map((e) => e.learningRate).filter((r) => r !== undefined)).size > 1;
  // Said once under the table too: a tooltip alone is easy to miss, and the reason holds for every epoch.
  const undefinedAuc = view.tasks
    .map((t) => [t, aucUndefinedReason(epochs.at(-1)?.valid?.[t] ?? {})] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  return (
    <div className="table-wrap">
      <table className="data-table epoch-table" data-testid="epoch-table">
        <thead>
          <tr>
            <th>epoch</th>
            {view.tasks.map((t) => (
              <th key={`l-${t}`} colSpan={withGauc.has(t) ? 4 : 3}>
                {t}
              </th>
            ))}
            {scheduled && <th title="The learning rate of the epoch's last step (the run's schedule)">learning rate</th>}
            <th>time</th>
          </tr>
          <tr className="sub">
            <th />
            {view.tasks.map((t) => [
              <th key={`tl-${t}`}>train loss</th>,
              <th key={`vl-${t}`}>valid loss</th>,
              <th key={`va-${t}`}>valid AUC</th>,
              withGauc.has(t) && (
                <th key={`vg-${t}`} title="AUC within each group (user), averaged weighted by group size">
                  valid GAUC
                </th>
              ),
            ])}
            {scheduled && <th />}
            <th />
          </tr>
        </thead>
        <tbody>
          {epochs.map((e) => (
            <tr key={e.epoch} className={e.epoch === best ? 'is-best' : ''}>
              <td>
                {e.epoch}
                {e.improved ? ' ★' : ''}
              </td>
              {view.tasks.map((t) => [
                <td key={`tl-${t}`}>{fmt(e.train[t]?.loss)}</td>,
                <td key={`vl-${t}`}>{fmt(e.valid?.[t]?.loss)}</td>,
                <AucCell key={`va-${t}`} metrics={e.valid?.[t]} task={t} />,
                withGauc.has(t) && (
                  <td key={`vg-${t}`} data-testid={`epoch-gauc-${t}`}>
                    {fmt(e.valid?.[t]?.gauc)}
                  </td>
                ),
              ])}
              {scheduled && <td data-testid="epoch-learning-rate">{e.learningRate !== undefined ? e.learningRate.toPrecision(3) : '—'}</td>}
              <td>{e.seconds !== undefined ? `${e.seconds.toFixed(1)} s` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="dim small" data-testid="best-epoch-legend">
        {bestEpochLegend(view)}
      </p>
      {undefinedAuc.length > 0 && (
        <p className="dim small" data-testid="auc-undefined-note">
          {undefinedAuc.map(([task, reason]) => `${task}: AUC — (${reason})`).join('; ')}
        </p>
      )}
    </div>
  );
}

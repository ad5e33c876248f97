import type { RunView } from '../../state/run-view';

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

/** One row per epoch: train and validation loss per task, validation AUC, time. */
export function EpochTable({ view }: { view: RunView }) {
  const epochs = [...view.epochs].sort((a, b) => a.epoch - b.epoch);
  if (epochs.length === 0) return null;
  const best = view.summary?.bestEpoch;
  return (
    <div className="table-wrap">
      <table className="data-table epoch-table" data-testid="epoch-table">
        <thead>
          <tr>
            <th>epoch</th>
            {view.tasks.map((t) => (
              <th key={`l-${t}`} colSpan={3}>
                {t}
              </th>
            ))}
            <th>time</th>
          </tr>
          <tr className="sub">
            <th />
            {view.tasks.map((t) => [
              <th key={`tl-${t}`}>train loss</th>,
              <th key={`vl-${t}`}>valid loss</th>,
              <th key={`va-${t}`}>valid AUC</th>,
            ])}
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
                <td key={`va-${t}`}>{fmt(e.valid?.[t]?.auc)}</td>,
              ])}
              <td>{e.seconds !== undefined ? `${e.seconds.toFixed(1)} s` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { useState } from 'react';
import { callHost } from '../../api/host';
import { attentionChart } from '../../state/attention-chart';
import { insightsOf, type RunView } from '../../state/run-view';
import { useTrain } from '../../state/train-store';
import { toast } from '../../state/ui-store';

/**
 * Inside a finished model: the mean gate weight per expert (MoE models) as a heatmap, and for DIN
 * the attention scores over one row's behaviour history.
 */
export function ModelInsights({ view }: { view: RunView }) {
  // The run's own graph decides what can be shown: the open graph may be another model.
  const { attention: isDin, gates: hasGates } = insightsOf(view);
  const { gates, attention, setGates, setAttention } = useTrain();
  const [row, setRow] = useState(0);
  /** What is being worked out, said next to a spinner: the button alone greyed out said nothing. */
  const [busy, setBusy] = useState<string>();
  if (view.status !== 'finished' || !view.dir) return null;
  const dir = view.dir;

  const loadGates = async () => {
    setBusy('Reading validation rows and running the model up to its gates…');
    const result = await callHost('runs:inspect', { dir, view: 'gates' });
    setBusy(undefined);
    if (!result.ok) return toast('error', result.error.message);
    if (result.value.view === 'gates') setGates(result.value);
  };
  const loadAttention = async () => {
    setBusy(`Reading row ${row} and scoring its history…`);
    const result = await callHost('runs:inspect', { dir, view: 'attention', row });
    setBusy(undefined);
    if (!result.ok) return toast('error', result.error.message);
    if (result.value.view === 'attention') setAttention(result.value);
  };

  return (
    <section className="card">
      <div className="card-head">
        <h3>Inside the model</h3>
        <span className="spacer" />
        {hasGates && (
          <button type="button" className="btn btn-small" disabled={busy !== undefined} onClick={() => void loadGates()} data-testid="inspect-gates">
            Gate weights
          </button>
        )}
        {isDin && (
          <>
            <input type="number" min={0} value={row} onChange={(e) => setRow(Math.max(0, Number(e.target.value) || 0))} className="row-input" aria-label="Row" />
            <button type="button" className="btn btn-small" disabled={busy !== undefined} onClick={() => void loadAttention()} data-testid="inspect-attention">
              Attention of row
            </button>
          </>
        )}
      </div>
      {busy && (
        <p className="dim small busy" data-testid="inspect-busy" role="status">
          <span className="spinner" aria-hidden="true" />
          {busy}
        </p>
      )}
      {gates && (
        <div className="insight" data-testid="gates-heatmap">
          <p className="dim small">
            Mean softmax weight per expert over the first {gates.rows.toLocaleString('en-US')} {gates.split === 'validation' ? 'validation rows' : 'rows'} of {gates.data.split(/[\\/]/).pop()}.
          </p>
          {gates.gates.map((g) => (
            <div key={g.nodeId} className="heat-row">
              <span className="heat-label" title={g.layer}>
                {g.label}
              </span>
              <div className="heat-cells" style={{ gridTemplateColumns: `repeat(${g.weights.length}, minmax(34px, 1fr))` }}>
                {g.weights.map((w, i) => (
                  <span key={i} className="heat-cell" style={{ ['--w' as string]: String(Math.min(1, w * g.weights.length / 2)) }} title={`${g.experts[i] ?? `expert ${i}`}: ${w.toFixed(3)}`}>
                    {w.toFixed(2)}
                  </span>
                ))}
              </div>
            </div>
          ))}
          {gates.gates[0] && (
            <div className="heat-row heat-axis">
              <span className="heat-label" />
              <div className="heat-cells" style={{ gridTemplateColumns: `repeat(${gates.gates[0].experts.length}, minmax(34px, 1fr))` }}>
                {gates.gates[0].experts.map((e) => (
                  <span key={e} className="dim small" title={e}>
                    {e.replace(/^.*?(\d+)$/, 'e$1')}
                  </span>
                ))}
              </div>
            </div>
          )}
        </div>
      )}
      {attention && (
        <div className="insight" data-testid="attention-view">
          {attention.attentions.map((a) => {
            const normalised = view.graph?.nodes.find((n) => n.id === a.nodeId)?.params.softmax === true;
            return <AttentionBars key={a.nodeId} row={attention.row} label={a.label} scores={a.scores} items={a.items} normalised={normalised} />;
          })}
        </div>
      )}
    </section>
  );
}

/**
 * One attention node's scores for one row on a signed scale: a zero line, bars up or down from it,
 * tick labels on the axis, each value under its item. Weights where the node normalises them.
 */
function AttentionBars({ row, label, scores, items, normalised }: { row: number; label: string; scores: number[]; items: (string | null)[]; normalised: boolean }) {
  const chart = attentionChart(scores, items);
  const pct = (fraction: number) => `${(fraction * 100).toFixed(3)}%`;
  return (
    <figure className="attention-chart" data-testid="attention-chart">
      <figcaption className="dim small">
        Row {row}, {label}:{' '}
        {normalised
          ? 'attention weight of each history item against the candidate (softmax over the real positions, as this graph’s attention node is set).'
          : 'raw score of each history item against the candidate (not normalised, as in the DIN paper; negative scores still weigh the item, with a smaller or negative pull).'}
      </figcaption>
      <div className="attention-plot">
        <div className="attention-axis" aria-hidden="true">
          {chart.ticks.map((t) => (
            <span key={t.label} className="attention-tick" style={{ top: pct(t.at) }} data-testid="attention-tick">
              {t.label}
            </span>
          ))}
        </div>
        <div className="attention-area">
          {chart.ticks.map((t) => (
            <span key={t.label} className={`attention-grid${t.value === 0 ? ' is-zero' : ''}`} style={{ top: pct(t.at) }} />
          ))}
          <div className="attention-columns" style={{ gridTemplateColumns: `repeat(${chart.bars.length}, minmax(14px, 1fr))` }}>
            {chart.bars.map((b, i) => (
              <div key={i} className={`attention-column${b.padding ? ' is-padding' : ''}`} title={`${b.item ?? 'padding'}: ${b.value.toFixed(4)}`}>
                <span
                  className={`attention-fill${b.value < 0 ? ' is-negative' : ''}`}
                  style={{ top: pct(b.top), height: pct(b.height) }}
                  data-testid="attention-fill"
                  data-value={b.value}
                />
              </div>
            ))}
          </div>
        </div>
      </div>
      <div className="attention-labels" style={{ gridTemplateColumns: `repeat(${chart.bars.length}, minmax(14px, 1fr))` }}>
        {chart.bars.map((b, i) => (
          <span key={i} className="attention-item" title={b.item ?? 'padding'}>
            {b.item ?? '·'}
          </span>
        ))}
      </div>
    </figure>
  );
}

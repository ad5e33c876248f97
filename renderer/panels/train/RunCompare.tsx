import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isCancelled } from '../../../app/host/contract';
import type { RunCompareResponse } from '../../../app/host/api/runs-experiments-schema';
import type { RunMetricRow, RunRow } from '../../../app/train/run-list';
import { create } from 'zustand';
import { callHost, hostMode } from '../../api/host';
import type { RunListEntry } from '../../api/responses';
import { epochTicks } from '../../state/run-view';
import { refreshRuns, useTrain } from '../../state/train-store';
import { toast, useUi } from '../../state/ui-store';
import '../../styles/run-compare.css';

/**
 * Runs as experiments in the Train tab (issue #21 item 1): a checkbox per run in the Runs list, and
 * once two or more are ticked, their settings and best validation figures side by side (rows whose
 * values differ highlighted; a row's label sorts the runs by it) and their per-task validation
 * curves overlaid, a colour per run. Each run can be evaluated on a file, renamed, tagged, noted and
 * deleted (asking first). The figures come from the host (runs:compare), which computes them with
 * app/train/run-list.ts, as `towerflow runs compare` does.
 */
const COLORS = ['#5b9dff', '#f08a4b', '#3ecf8e', '#f06fae', '#a98bfa', '#e8b03c', '#4dd0e1', '#c0ca33'];

interface Selection {
  selected: string[];
  toggle(dir: string): void;
  drop(dir: string): void;
}

export const useRunSelection = create<Selection>()((set) => ({
  selected: [],
  toggle: (dir) => set((s) => ({ selected: s.selected.includes(dir) ? s.selected.filter((d) => d !== dir) : [...s.selected, dir] })),
  drop: (dir) => set((s) => ({ selected: s.selected.filter((d) => d !== dir) })),
}));

/** Each listed run's name, tags and note (meta.json), by folder; read again when the list or a run's meta changes. */
const useRunRows = create<{ byDir: Record<string, RunRow>; set(rows: RunRow[]): void }>()((set) => ({
  byDir: {},
  set: (rows) => set({ byDir: Object.fromEntries(rows.map((r) => [r.dir, r])) }),
}));

async function refreshRunRows(): Promise<void> {
  const result = await callHost('runs:rows', {});
  // The list itself reports a runs folder it cannot read; names and tags are extras, so no second toast.
  if (result.ok) useRunRows.getState().set(result.value.rows);
}

/** A run's given name and tags beside its graph name in the list; the note on hover. */
export function RunMetaBadge({ run }: { run: RunListEntry }) {
  const row = useRunRows((s) => s.byDir[run.dir]);
  if (!row || (!row.name && row.tags.length === 0 && !row.note)) return null;
  return (
    <span className="run-meta-badge small" title={row.note} data-testid="run-meta-badge">
      {row.name && <span className="run-given-name">{row.name}</span>}
      {row.tags.map((t) => (
        <span key={t} className="run-tag">
          #{t}
        </span>
      ))}
      {row.note && <span className="run-note-mark" aria-label={`note: ${row.note}`}>✎</span>}
    </span>
  );
}

/** The checkbox that puts a run into the comparison. */
export function RunSelect({ run }: { run: RunListEntry }) {
  const checked = useRunSelection((s) => s.selected.includes(run.dir));
  const toggle = useRunSelection((s) => s.toggle);
  return (
    <input
      type="checkbox"
      className="run-select"
      checked={checked}
      onChange={() => toggle(run.dir)}
      aria-label={`Compare ${run.name}`}
      title="Compare this run with the others ticked"
      data-testid="run-select"
    />
  );
}

async function evaluateRun(dir: string): Promise<void> {
  let data: string | undefined;
  if (hostMode() === 'web') {
    data = await useUi.getState().askFile({ mode: 'pick-data', title: 'Evaluate on a file', extensions: ['.csv', '.tsv', '.txt', '.data', '.test', '.gz', '.parquet'] });
  } else {
    const picked = await callHost('files:pick', { purpose: 'data' });
    if (!picked.ok) return toast('error', picked.error.message);
    if (!isCancelled(picked.value)) data = picked.value.path;
  }
  if (!data) return;
  const result = await callHost('runs:evaluate', { run: dir, data });
  if (!result.ok) return toast('error', result.error.message);
  const figures = Object.entries(result.value.tasks)
    .map(([task, m]) => `${task} AUC ${m.auc === null ? '—' : m.auc.toFixed(4)}${m.gauc !== null ? ` GAUC ${m.gauc.toFixed(4)}` : ''}, logloss ${m.logloss === null ? '—' : m.logloss.toFixed(4)}`)
    .join('; ');
  toast('success', `${result.value.rows} rows: ${figures} (kept in the run)`);
  // An open comparison shows each run's newest test figures: read them again.
  useRunCompareVersion.getState().bump();
}

async function deleteRun(run: RunListEntry): Promise<void> {
  const sure = await useUi.getState().confirm({ title: 'Delete the run', message: `Delete ${run.name} and everything in it (model, metrics, log)? This cannot be undone.`, confirm: 'Delete' });
  if (!sure) return;
  const result = await callHost('runs:delete', { dir: run.dir });
  if (!result.ok) return toast('error', result.error.message);
  useRunSelection.getState().drop(run.dir);
  toast('success', `Deleted ${run.name}`);
  await refreshRuns();
}

/** Evaluate, edit (name, tags, note) and delete: the buttons beside a run in the list. */
export function RunActions({ run }: { run: RunListEntry }) {
  const [editing, setEditing] = useState(false);
  return (
    <>
      {run.status === 'finished' && (
        <button type="button" className="btn btn-small" onClick={() => void evaluateRun(run.dir)} title="Evaluate the trained model on a test file; the result is kept in the run" data-testid="run-evaluate">
          Evaluate…
        </button>
      )}
      <button type="button" className="btn btn-small" onClick={() => setEditing((e) => !e)} aria-expanded={editing} title="Name, tags and note" data-testid="run-edit">
        Edit
      </button>
      {run.status !== 'running' && (
        <button type="button" className="btn btn-small btn-danger" onClick={() => void deleteRun(run)} title="Delete the run folder (asks first)" data-testid="run-delete">
          Delete
        </button>
      )}
      {editing && <MetaEditor dir={run.dir} onDone={() => setEditing(false)} />}
    </>
  );
}

function MetaEditor({ dir, onDone }: { dir: string; onDone: () => void }) {
  const [loaded, setLoaded] = useState<{ name: string; tags: string[]; note: string }>();
  const [name, setName] = useState('');
  const [tags, setTags] = useState('');
  const [note, setNote] = useState('');
  useEffect(() => {
    void callHost('runs:compare', { dirs: [dir] }).then((result) => {
      if (!result.ok) return toast('error', result.error.message);
      const row = result.value.rows[0];
      const meta = { name: row?.name ?? '', tags: row?.tags ?? [], note: row?.note ?? '' };
      setLoaded(meta);
      setName(meta.name);
      setTags(meta.tags.join(' '));
      setNote(meta.note);
    });
  }, [dir]);
  const save = async () => {
    if (!loaded) return;
    const wanted = tags.split(/[\s,]+/).filter(Boolean);
    const edits = [
      ...(name !== loaded.name ? [{ rename: name }] : []),
      ...(note !== loaded.note ? [{ note }] : []),
      ...(loaded.tags.some((t) => !wanted.includes(t)) ? [{ tag: loaded.tags.filter((t) => !wanted.includes(t)), remove: true }] : []),
      ...(wanted.some((t) => !loaded.tags.includes(t)) ? [{ tag: wanted.filter((t) => !loaded.tags.includes(t)) }] : []),
    ];
    for (const edit of edits) {
      const result = await callHost('runs:meta', { dir, edit });
      if (!result.ok) return toast('error', result.error.message);
    }
    useRunCompareVersion.getState().bump();
    onDone();
  };
  return (
    <form
      className="run-meta-editor"
      data-testid="run-meta-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="run-meta-name" />
      </label>
      <label>
        Tags <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="words, separated by spaces" data-testid="run-meta-tags" />
      </label>
      <label>
        Note <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={10_000} data-testid="run-meta-note" />
      </label>
      <div className="run-meta-buttons">
        <button type="submit" className="btn btn-small" disabled={!loaded} data-testid="run-meta-save">
          Save
        </button>
        <button type="button" className="btn btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Bumped after an edit, so an open comparison reads the runs again (names and tags changed). */
const useRunCompareVersion = create<{ version: number; bump(): void }>()((set) => ({ version: 0, bump: () => set((s) => ({ version: s.version + 1 })) }));

type SortState = { key: string; descending: boolean } | undefined;

const fmt = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(4) : '—');

/** The comparison of the ticked runs (two or more of those still listed). */
export function RunCompare() {
  const runs = useTrain((s) => s.runs);
  const selected = useRunSelection((s) => s.selected);
  const version = useRunCompareVersion((s) => s.version);
  const dirs = useMemo(() => selected.filter((d) => runs.some((r) => r.dir === d)), [selected, runs]);
  const [data, setData] = useState<RunCompareResponse>();
  const [sort, setSort] = useState<SortState>();
  const [metric, setMetric] = useState<'auc' | 'logloss' | 'gauc'>('auc');
  const [logScale, setLogScale] = useState(false);
  const key = dirs.join('\n');
  const listKey = runs.map((r) => `${r.dir}|${r.status}`).join('\n');
  useEffect(() => void refreshRunRows(), [listKey, version]);
  useEffect(() => {
    if (dirs.length < 2) return setData(undefined);
    let live = true;
    void callHost('runs:compare', { dirs }).then((result) => {
      if (!live) return;
      if (!result.ok) return toast('error', result.error.message);
      setData(result.value);
    });
    return () => {
      live = false;
    };
    // `key` stands for `dirs` (a new array on every list refresh).
  }, [key, version]);

  if (dirs.length < 2) {
    return dirs.length === 1 ? <p className="dim small run-compare-hint">Tick another run to compare them.</p> : null;
  }
  if (!data) return <p className="dim small">Reading the runs…</p>;
  const { comparison } = data;
  // Columns: the runs, in the order the sort asks (by a setting's text or a metric's value).
  const order = comparison.runs.map((_, i) => i);
  if (sort) {
    const metricRow = comparison.metrics.find((m) => m.key === sort.key);
    const settingRow = comparison.settings.find((s) => s.key === sort.key);
    const value = (i: number): number | string => (metricRow ? (metricRow.values[i] ?? Number.NEGATIVE_INFINITY) : (settingRow?.values[i] ?? ''));
    order.sort((a, b) => {
      const x = value(a);
      const y = value(b);
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return sort.descending ? -c : c;
    });
  }
  const rowsById = new Map(data.rows.map((r) => [r.id, r]));
  const color = (i: number) => COLORS[i % COLORS.length] as string;
  const sortBy = (k: string) => setSort((s) => ({ key: k, descending: s?.key === k ? !s.descending : true }));
  const sortMark = (k: string) => (sort?.key === k ? (sort.descending ? ' ▼' : ' ▲') : '');
  const tasks = [...new Set(comparison.metrics.map((m) => m.task))];

  return (
    <section className="run-compare" data-testid="run-compare">
      <h4>Comparing {dirs.length} runs</h4>
      <div className="run-compare-scroll">
        <table className="run-compare-table" data-testid="run-compare-table">
          <thead>
            <tr>
              <th scope="col">run</th>
              {order.map((i) => {
                const id = comparison.runs[i] as string;
                const row = rowsById.get(id);
                return (
                  <th key={id} scope="col" title={row?.dir}>
                    <span className="run-swatch" style={{ background: color(i) }} />
                    {row?.name ?? id}
                    {row?.tags.length ? <span className="run-tags"> {row.tags.map((t) => `#${t}`).join(' ')}</span> : null}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {comparison.settings.map((s) => (
              <tr key={s.key} className={s.differs ? 'differs' : undefined} data-testid={`compare-setting-${s.key}`} data-differs={s.differs}>
                <th scope="row">
                  <button type="button" className="link-button" onClick={() => sortBy(s.key)} title="Sort the runs by this row">
                    {s.label}
                    {sortMark(s.key)}
                  </button>
                </th>
                {order.map((i) => (
                  <td key={i} title={s.values[i]}>
                    {s.values[i] || '—'}
                  </td>
                ))}
              </tr>
            ))}
            {comparison.metrics.map((m) => (
              <tr key={m.key} className="metric-row" data-testid={`compare-metric-${m.key}`}>
                <th scope="row">
                  <button type="button" className="link-button" onClick={() => sortBy(m.key)} title="Sort the runs by this figure">
                    {m.split === 'test' ? `test ${m.task}.${m.metric}` : `best valid ${m.key}`}
                    {sortMark(m.key)}
                  </button>
                </th>
                {order.map((i) => (
                  <td key={i} className={m.values[i] !== null && m.values[i] === m.best ? 'best' : undefined}>
                    {fmt(m.values[i])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {comparison.pairs.some((p) => p.graph.length > 0) && (
        <details className="run-compare-graph">
          <summary>What changed in the graph</summary>
          {comparison.pairs
            .filter((p) => p.graph.length > 0)
            .map((p) => (
              <div key={`${p.a}|${p.b}`}>
                <div className="small">
                  {rowsById.get(p.a)?.name ?? p.a} → {rowsById.get(p.b)?.name ?? p.b}
                </div>
                <ul className="small">
                  {p.graph.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              </div>
            ))}
        </details>
      )}
      <div className="run-compare-controls">
        <label>
          Curves{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value as typeof metric)} data-testid="compare-curve-metric">
            <option value="auc">AUC</option>
            <option value="gauc">GAUC</option>
            <option value="logloss">logloss</option>
          </select>
        </label>
        <label>
          <input type="checkbox" checked={logScale} onChange={(e) => setLogScale(e.target.checked)} data-testid="compare-log-scale" /> log scale
        </label>
      </div>
      <div className="run-compare-charts">
        {tasks.map((task) => (
          <OverlayChart
            key={`${task}|${metric}|${logScale}`}
            title={`${task}: validation ${metric}`}
            runs={comparison.runs.map((id, i) => ({ label: rowsById.get(id)?.name ?? id, color: color(i), rows: (data.curves[id] ?? []).filter((r) => r.task === task) }))}
            metric={metric}
            logScale={logScale}
          />
        ))}
      </div>
    </section>
  );
}

/** One task's curves, a series per run on shared epochs (a run without that epoch leaves a gap). */
function OverlayChart({ title, runs, metric, logScale }: { title: string; runs: { label: string; color: string; rows: RunMetricRow[] }[]; metric: 'auc' | 'logloss' | 'gauc'; logScale: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const x = [...new Set(runs.flatMap((r) => r.rows.map((m) => m.epoch)))].sort((a, b) => a - b);
  const series = runs.map((r) => x.map((epoch) => {
    const v = r.rows.find((m) => m.epoch === epoch)?.[metric];
    return typeof v === 'number' && Number.isFinite(v) && (!logScale || v > 0) ? v : null;
  }));
  const points = series.reduce((n, s) => n + s.filter((v) => v !== null).length, 0);
  useEffect(() => {
    const el = host.current;
    if (!el || points === 0) return;
    const css = getComputedStyle(document.documentElement);
    const axisColor = css.getPropertyValue('--text-dim').trim() || '#888';
    const gridColor = css.getPropertyValue('--border').trim() || '#333';
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 }, font: '11px system-ui' };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 190,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
        axes: [{ ...axis, label: 'epoch', splits: (_u, _a, min, max) => epochTicks(min, max), values: (_u, ticks) => ticks.map(String) }, { ...axis, label: metric, size: 50 }],
        series: [{ label: 'epoch' }, ...runs.map((r) => ({ label: r.label, stroke: r.color, width: 2, spanGaps: true, points: { show: x.length < 40, size: 5 } }))],
      },
      [x, ...series] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height: 190 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
    // The parent keys the chart by task, metric and scale; the data of a comparison does not change under it.
  }, [points]);
  return (
    <figure className="chart" data-testid="compare-chart" data-series={runs.length} data-points={points}>
      <figcaption>{title}</figcaption>
      {points === 0 && <div className="chart-empty">No {metric} recorded</div>}
      <div ref={host} className="chart-plot" />
    </figure>
  );
}

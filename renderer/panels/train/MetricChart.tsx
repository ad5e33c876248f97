import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { epochTicks, type ChartData } from '../../state/run-view';

const COLORS = ['#5b9dff', '#f08a4b', '#3ecf8e', '#f06fae', '#a98bfa', '#e8b03c'];

/**
 * A small line chart (uPlot): one series per task. The plot is created once per set of series and
 * fed new data in place, so a chart that gains a point per progress event stays cheap.
 */
export function MetricChart({ title, data, yLabel, testId }: { title: string; data: ChartData; yLabel: string; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot>(undefined);
  const seriesKey = data.series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const axisColor = css.getPropertyValue('--text-dim').trim() || '#888';
    const gridColor = css.getPropertyValue('--border').trim() || '#333';
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 }, font: '11px system-ui' };
    const options: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 190,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      // Whole epochs on the x axis, whatever the chart's width: uPlot's own splits give 1.2, 1.4 for two epochs.
      axes: [{ ...axis, label: 'epoch', labelSize: 14, labelFont: '11px system-ui', splits: (_u, _axis, min, max) => epochTicks(min, max), values: (_u, ticks) => ticks.map(String) }, { ...axis, label: yLabel, labelSize: 14, labelFont: '11px system-ui', size: 50 }],
      series: [{ label: 'epoch' }, ...data.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: data.x.length < 40, size: 5 } }))],
    };
    plot.current = new uPlot(options, toAligned(data), el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 190 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
    // Rebuilt only when the set of series changes; data updates go through setData below. Colours
    // are read from the theme at creation: the parent keys the chart by theme.
  }, [seriesKey, yLabel]);

  useEffect(() => plot.current?.setData(toAligned(data)), [data]);

  return (
    <figure className="chart" data-testid={testId} data-points={data.x.length}>
      <figcaption>{title}</figcaption>
      {data.x.length === 0 && <div className="chart-empty">No points yet</div>}
      <div ref={host} className="chart-plot" />
    </figure>
  );
}

const toAligned = (data: ChartData): uPlot.AlignedData => [data.x, ...data.series.map((s) => s.values)] as uPlot.AlignedData;

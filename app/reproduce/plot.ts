import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite chart to SVG text, headless (no canvas, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface Titles {
  title: string;
  x: string;
  y: string;
}

/** A point per group and series with a bar from `low` to `high`: the shape of every study's chart. */
export interface IntervalRow {
  x: string;
  series: string;
  mean: number;
  low: number;
  high: number;
}

/** Mean ± standard error, as the rows of an interval chart. */
export const meanSeRow = (x: string, series: string, s: { mean: number; se: number }): IntervalRow => ({ x, series, mean: s.mean, low: s.mean - s.se, high: s.mean + s.se });

export function intervalChart(rows: IntervalRow[], titles: Titles, options: { zeroRule?: boolean } = {}): TopLevelSpec {
  const layers: unknown[] = [
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'mean', type: 'quantitative', title: titles.y, scale: { zero: false } } } },
    { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
  ];
  // A paired difference is read against zero: the line marks "no difference".
  if (options.zeroRule) layers.push({ data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#888' }, encoding: { y: { field: 'zero', type: 'quantitative' }, x: null, xOffset: null, color: null } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titles.title,
    width: 420,
    height: 240,
    data: { values: rows },
    encoding: {
      x: { field: 'x', type: 'nominal', title: titles.x, sort: null },
      xOffset: { field: 'series', sort: null },
      color: { field: 'series', type: 'nominal', title: null, sort: null },
    },
    layer: layers,
  } as TopLevelSpec;
}

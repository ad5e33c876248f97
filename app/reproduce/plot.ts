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

/** Mean ± std error bars per group, one colour per series: the shape of every study's chart. */
export function errorBarChart(rows: { x: string; series: string; mean: number; std: number }[], titles: { title: string; x: string; y: string }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: titles.title,
    width: 360,
    height: 240,
    data: { values: rows.map((r) => ({ ...r, low: r.mean - r.std, high: r.mean + r.std })) },
    encoding: {
      x: { field: 'x', type: 'nominal', title: titles.x, sort: null },
      xOffset: { field: 'series', sort: null },
      color: { field: 'series', type: 'nominal', title: null, sort: null },
    },
    layer: [
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y: { field: 'mean', type: 'quantitative', title: titles.y, scale: { zero: false } } } },
      { mark: 'rule', encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  } as TopLevelSpec;
}

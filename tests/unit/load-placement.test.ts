import { describe, expect, it } from 'vitest';
import { openGraphText } from '../../app/graph/open';
import { GRAPH_FORMAT, GRAPH_VERSION } from '../../app/graph/schema';

/** A graph whose one dense node carries `unknown` params it does not declare, one per line. */
function graphWithUnknownParams(unknown: number): string {
  const params: Record<string, unknown> = { units: [4] };
  for (let i = 0; i < unknown; i++) params[`extra${i}`] = i;
  const doc = {
    format: GRAPH_FORMAT,
    version: GRAPH_VERSION,
    name: 'many params',
    nodes: [
      { id: 'x', kind: 'input.dense', params: { columns: ['x'] } },
      { id: 'd', kind: 'mlp', params },
      { id: 'y', kind: 'output', params: { name: 'y', label: 'y' } },
    ],
    edges: [
      { source: { node: 'x', port: 'values' }, target: { node: 'd', port: 'in' } },
      { source: { node: 'd', port: 'out' }, target: { node: 'y', port: 'prediction' } },
    ],
  };
  return JSON.stringify(doc, null, 2);
}

describe('placing diagnostics on the lines of a graph file (#18.12)', () => {
  it('visits each param key once, however many unknown params it places (was once per diagnostic: quadratic)', () => {
    const counts = [1000, 4000].map((n) => {
      const counter = { lookups: 0 };
      const opened = openGraphText(graphWithUnknownParams(n), counter);
      expect(opened.diagnostics.filter((d) => d.code === 'W_PARAM_UNKNOWN')).toHaveLength(n);
      return counter.lookups;
    });
    expect(counts[0]).toBeGreaterThanOrEqual(1000);
    // Linear: 4× the params, ≤ 4× the visits (plus the few keys of the document and its nodes).
    expect(counts[1]).toBeLessThan(4 * (counts[0] as number) + 100);
    expect(counts[1]).toBeLessThan(2 * 4000 + 100);
  });

  it('places each of 40,000 unknown params on its own line', () => {
    const text = graphWithUnknownParams(40_000);
    const lines = text.split('\n');
    const opened = openGraphText(text);
    const unknown = opened.diagnostics.filter((d) => d.code === 'W_PARAM_UNKNOWN');
    expect(unknown).toHaveLength(40_000);
    for (const d of unknown.filter((_, i) => i % 997 === 0)) {
      const key = /"(extra\d+)"/.exec(d.message)?.[1] ?? d.path?.split('.').at(-1);
      expect(lines[(d.line as number) - 1]?.slice((d.column as number) - 1)).toMatch(/^\d+/);
      expect(lines[(d.line as number) - 1]).toContain(`"${key}"`);
    }
  }, 60_000);

  it('puts a problem of the whole graph on its nodes array, and an unknown version on the document', () => {
    const noOutput = openGraphText(JSON.stringify({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name: 'n', nodes: [], edges: [] }, null, 2));
    const d = noOutput.diagnostics.find((x) => x.code === 'E_NO_OUTPUT');
    expect(d).toMatchObject({ line: 5, column: 12 });
    const noVersion = openGraphText(`{\n  "format": "${GRAPH_FORMAT}",\n  "nodes": []\n}`);
    expect(noVersion.diagnostics[0]).toMatchObject({ code: 'E_UNKNOWN_VERSION', line: 1, column: 1 });
  });
});

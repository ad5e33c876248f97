import { createElement, type FunctionComponent } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { GraphBuilder } from '../../../app/graph/builder';
import type { Graph } from '../../../app/graph/schema';
import { editorStore } from '../../../renderer/state/editor';
import { parametersText, summaryOf, summaryRowOf } from '../../../renderer/state/model-table';
import { validationOf } from '../../../renderer/state/validation';
import type { ModelSummaryTable, SummaryRow } from '../../../app/validate/summary';
import { loadTemplate } from '../../helpers/plain';

// The components are .tsx, which the Node tsconfig that checks tests/ does not compile (no JSX, no DOM
// types): they are imported by a path tsc leaves alone, and typed here by what the test uses.
const panel = (name: string) => import(`../../../renderer/panels/${name}.tsx`);
const { Inspector } = (await panel('Inspector')) as { Inspector: FunctionComponent };
const { ModelSummaryView, NodeSizeFacts } = (await panel('ModelSize')) as {
  ModelSummaryView: FunctionComponent<{ summary: ModelSummaryTable }>;
  NodeSizeFacts: FunctionComponent<{ row: SummaryRow }>;
};

/** The inspector's parameter counts (#21.5): from the kinds' weight declarations, no tfjs in the window. */

/** Embedding 10 × 4 = 40, dense 4 → 3 with bias = 15, tower head 3 → 1 with bias = 4. */
function tinyGraph(): Graph {
  const b = new GraphBuilder('Tiny');
  b.node('item', 'input.sparse', 'Item', { columns: ['item'], vocabSize: 10 });
  b.node('emb', 'embedding', 'Item emb', { dim: 4 });
  b.node('dense', 'mlp', 'Dense', { units: [3], batchNorm: true });
  b.node('tower', 'tower', 'Tower', { units: [] });
  b.node('out', 'output', 'Click', { label: 'click' });
  b.connect('item', 'ids', 'emb', 'ids').connect('emb', 'vectors', 'dense', 'in').connect('dense', 'out', 'tower', 'in').connect('tower', 'out', 'out', 'prediction');
  return b.build(false);
}

const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
const testId = (html: string, id: string) => text(new RegExp(`data-testid="${id}"[^>]*>(.*?)</`).exec(html)?.[1] ?? '');

describe('the selected node’s size', () => {
  const validation = validationOf(tinyGraph());

  it('an embedding 10 × 4: output [4], 40 parameters', () => {
    const html = renderToStaticMarkup(createElement(NodeSizeFacts, { row: summaryRowOf(validation, 'emb')! }));
    expect(testId(html, 'node-output-shape')).toBe('[4]');
    expect(testId(html, 'node-parameters')).toBe('40');
  });

  it('dense 4 → 3 with bias and batch norm: 15 + 4 × 3, the moving mean and variance not trainable', () => {
    expect(parametersText(summaryRowOf(validation, 'dense')!)).toBe('27 (21 trainable)');
  });

  it('the Inspector shows it for the node selected in the editor', () => {
    editorStore.getState().load(tinyGraph());
    editorStore.getState().select({ nodes: ['emb'], edges: [] });
    // Rendered as on a server (no DOM here), where zustand reads the store's initial state: it is pointed at the current one.
    const initial = vi.spyOn(editorStore, 'getInitialState').mockImplementation(() => editorStore.getState());
    const html = renderToStaticMarkup(createElement(Inspector));
    initial.mockRestore();
    expect(html).toContain('Size');
    expect(testId(html, 'node-parameters')).toBe('40');
    expect(testId(html, 'node-output-shape')).toBe('[4]');
  });

  it('with nothing selected, the Inspector shows the model summary with its total', () => {
    editorStore.getState().load(tinyGraph());
    editorStore.getState().select({ nodes: [], edges: [] });
    const initial = vi.spyOn(editorStore, 'getInitialState').mockImplementation(() => editorStore.getState());
    const html = renderToStaticMarkup(createElement(Inspector));
    initial.mockRestore();
    expect(html).toContain('Model summary');
    expect(testId(html, 'model-summary-total')).toBe('71 parameters (284 bytes), 65 trainable');
  });

  it('DIN’s history embedding shares the item table: 0 here, and says where it is counted', () => {
    const row = summaryRowOf(validationOf(loadTemplate('din')), 'history_emb')!;
    const html = renderToStaticMarkup(createElement(NodeSizeFacts, { row }));
    expect(testId(html, 'node-parameters')).toBe('0');
    expect(text(html)).toContain('table "item" counted at "Item embedding"');
  });
});

describe('the model summary view', () => {
  it('lists every node with its count, and the total', () => {
    const summary = summaryOf(validationOf(tinyGraph()));
    const html = renderToStaticMarkup(createElement(ModelSummaryView, { summary }));
    const rows = [...html.matchAll(/<tr title="[^"]*">(.*?)<\/tr>/g)].map((m) => text(m[1] ?? ''));
    expect(rows).toEqual(['Item [1] 0', 'Item emb [4] 40', 'Dense [3] 27', 'Tower [1] 4', 'Click [1] 0']);
    expect(testId(html, 'model-summary-total')).toBe('71 parameters (284 bytes), 65 trainable');
  });

  it('is memoised per validation: the same object for the same graph structure', () => {
    const graph = tinyGraph();
    expect(summaryOf(validationOf(graph))).toBe(summaryOf(validationOf(graph)));
  });
});

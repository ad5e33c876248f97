import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadGraph } from '../../../app/graph/load';
import { serializeGraph } from '../../../app/graph/serialize';
import { TEMPLATES } from '../../../scripts/template-definitions';
import { loadTemplate } from '../../helpers/plain';
import { allKindsGraph, generate } from './support';

/**
 * The generated module of every template, as committed under tests/golden/codegen/. A change to the
 * generator shows up here as a reviewable diff; `UPDATE_GOLDEN=1 npx vitest run tests/unit/codegen`
 * rewrites the files.
 */
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const goldenFile = (name: string) => new URL(`../../golden/codegen/${name}.ts`, import.meta.url);

describe('generated code', () => {
  it.each(Object.keys(TEMPLATES))('of %s matches its golden file', async (name) => {
    const code = await generate(loadTemplate(name));
    if (UPDATE) writeFileSync(goldenFile(name), code);
    expect(code).toBe(readFileSync(goldenFile(name), 'utf8'));
  });

  it('is stable: the same graph gives the same bytes, also after a save and reload of the graph', async () => {
    const graph = allKindsGraph();
    const first = await generate(graph);
    expect(await generate(graph)).toBe(first);
    const reloaded = loadGraph(serializeGraph(graph)).graph;
    if (!reloaded) throw new Error('the graph did not reload');
    expect(await generate(reloaded)).toBe(first);
  });

  it('moves with the graph, not with the canvas: node positions change nothing', async () => {
    const graph = allKindsGraph();
    const moved = { ...graph, nodes: graph.nodes.map((n, i) => ({ ...n, position: { x: i * 7, y: -i } })) };
    expect(await generate(moved)).toBe(await generate(graph));
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGraph } from '../../app/compile/to-tfjs';
import { validateGraph } from '../../app/validate/validate';
import { basePoolingGraph, DIN_MOVIELENS_BINDING, dinPaperGraph } from '../../app/reproduce/din';
import { serializeGraph } from '../../app/graph/serialize';
import { syntheticGraph } from '../../app/reproduce/mmoe-synthetic';
import { reproduce } from '../../app/reproduce/run';
import { loadTemplate } from '../helpers/plain';

const dense = (i: number, o: number, bias = true) => i * o + (bias ? o : 0);

describe('reproduce', () => {
  it.each([
    // The paper sizes the shared bottom (113 units) so Shared-Bottom has about as many weights as the MoE models.
    ['Shared-Bottom', dense(100, 113) + 2 * (dense(113, 8) + dense(8, 1))],
    ['OMoE', 8 * dense(100, 16) + dense(100, 8, false) + 2 * (dense(16, 8) + dense(8, 1))],
    ['MMoE', 8 * dense(100, 16) + 2 * dense(100, 8, false) + 2 * (dense(16, 8) + dense(8, 1))],
  ] as const)('builds the synthetic-study %s as in the paper (%i parameters)', (model, count) => {
    const compiled = compileGraph(syntheticGraph(model, 100));
    if (!compiled.ok) throw new Error(compiled.diagnostics[0]?.message);
    expect(compiled.compiled.model.countParams()).toBe(count);
    expect(compiled.compiled.outputs.map((o) => [o.name, o.loss])).toEqual([['y1', 'mse'], ['y2', 'mse']]);
  });

  it('derives the DIN base model by swapping attention for sum pooling, all else equal', () => {
    const din = loadTemplate('din');
    const base = basePoolingGraph(din);
    expect(validateGraph(base).diagnostics).toEqual([]);
    expect(base.nodes.find((n) => n.id === 'attention')?.kind).toBe('pooling');
    expect(base.nodes.filter((n) => n.kind === 'attention')).toEqual([]);
    expect(base.nodes.length).toBe(din.nodes.length);
  });

  it('builds the paper-setting DIN: item ⊕ genres behaviours in shared tables, PReLU unit, Dice MLP; its base swaps only the attention', () => {
    const din = dinPaperGraph({ users: 945, items: 1684, genres: 218 });
    expect(validateGraph(din).diagnostics).toEqual([]);
    const compiled = compileGraph(din);
    if (!compiled.ok) throw new Error(compiled.diagnostics[0]?.message);
    const names = compiled.compiled.model.weights.map((w) => w.name);
    // One item table and one genre table, each shared by candidate and history.
    expect(names.filter((n) => /item/.test(n) && /embeddings/.test(n))).toHaveLength(1);
    expect(names.filter((n) => /genre/.test(n) && /embeddings/.test(n))).toHaveLength(1);
    expect(names.some((n) => /alpha_0/.test(n))).toBe(true);
    expect(names.filter((n) => /moving_mean/.test(n))).toHaveLength(2);
    compiled.compiled.model.dispose();
    const base = basePoolingGraph(din);
    expect(validateGraph(base).diagnostics).toEqual([]);
    expect(base.nodes.map((n) => n.kind)).toEqual(din.nodes.map((n) => (n.kind === 'attention' ? 'pooling' : n.kind)));
  });

  it('ships the study\'s DIN as an example users can open and train: examples/movielens-din-genres.*', () => {
    expect(readFileSync('examples/movielens-din-genres.graph.json', 'utf8')).toBe(serializeGraph(dinPaperGraph({ users: 945, items: 1684, genres: 218 }), '../schema/graph.schema.json'));
    expect(JSON.parse(readFileSync('examples/movielens-din-genres.binding.json', 'utf8'))).toEqual(DIN_MOVIELENS_BINDING);
  });

  it('--quick runs every study and writes its table and figures', async () => {
    const out = mkdtempSync(join(tmpdir(), 'towerflow-repro-'));
    try {
      const lines: string[] = [];
      const outcome = await reproduce({ root: process.cwd(), dataDir: resolve('../shared/data'), outDir: out, quick: true, log: (l) => lines.push(l) });
      if ('error' in outcome) throw new Error(outcome.error);
      expect(outcome.studies).toEqual(['mmoe-synthetic', 'census', 'din', 'esmm']);
      const md = readFileSync(join(out, 'results.md'), 'utf8');
      for (const heading of ['## MMoE paper, synthetic data', '## Census-income (KDD)', '## DIN vs a base model', '## ESMM on the Ali-CCP sample']) expect(md).toContain(heading);
      expect(md).toContain('| p | Shared-Bottom | OMoE | MMoE |');
      expect(md).toContain('| model | test AUC income | test AUC never married | parameters | samples/s | best epoch per seed |');
      expect(md).toContain('| p | Shared-Bottom | OMoE | MMoE | best epoch (median) |');
      // Each study states its paired comparisons, with their interval and tests.
      expect(md.match(/\(95 % CI .+; t = .+, p [=<] .+; \d+ of \d+ below, sign test p [=<] .+\)/g)?.length).toBeGreaterThanOrEqual(8 + 10 + 3);
      expect(md).toContain('| model | test AUC | test GAUC | GAUC ± SE over users (seed 1) | parameters | best epoch per seed |');
      expect(md).toContain('| row | pCTR | pCVR | pCTCVR | click | purchase |');
      for (const svg of ['mmoe-synthetic.svg', 'mmoe-synthetic-paired.svg', 'census.svg', 'census-paired.svg', 'din.svg', 'din-paired.svg']) {
        expect(readFileSync(join(out, 'img', svg), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
      }
      expect(existsSync(join(out, 'results.json'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);

  it('refuses an unknown study by name', async () => {
    const outcome = await reproduce({ root: process.cwd(), dataDir: resolve('../shared/data'), outDir: tmpdir(), quick: true, only: ['nope'], log: () => undefined });
    expect(outcome).toEqual({ error: 'unknown study "nope"; studies: mmoe-synthetic, census, din, esmm' });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { describeFailure } from '../../app/cli/main';
import { GRAPH_FORMAT, GRAPH_VERSION } from '../../app/graph/schema';
import { runCli } from '../helpers/cli';

vi.mock('../../app/cli/synth', async (original) => {
  const actual = await original<typeof import('../../app/cli/synth')>();
  return {
    synthCommand: {
      ...actual.synthCommand,
      run: () => {
        // An error thrown inside bundled code: its stack quotes a 39 KB minified line.
        const error = new RangeError('Maximum call stack size exceeded');
        error.stack = `RangeError: Maximum call stack size exceeded\n${'var a=function(){return 1};'.repeat(1500)}\n    at buildMapOfGraph (/x/tf-backend-wasm.min.js:2:3456)`;
        throw error;
      },
    },
  };
});

/** input → n one-unit MLPs in a row → tower → output. */
function chain(n: number): string {
  const nodes: unknown[] = [{ id: 'x', kind: 'input.dense', params: { columns: ['x'] } }];
  const edges: unknown[] = [];
  let prev = { node: 'x', port: 'values' };
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `m${i}`, kind: 'mlp', params: { units: [2] } });
    edges.push({ source: prev, target: { node: `m${i}`, port: 'in' } });
    prev = { node: `m${i}`, port: 'out' };
  }
  nodes.push({ id: 't', kind: 'tower', params: {} }, { id: 'y', kind: 'output', params: { name: 'y', label: 'y' } });
  edges.push({ source: prev, target: { node: 't', port: 'in' } }, { source: { node: 't', port: 'out' }, target: { node: 'y', port: 'prediction' } });
  return JSON.stringify({ format: GRAPH_FORMAT, version: GRAPH_VERSION, name: 'chain', nodes, edges });
}

describe('every CLI failure ends with a located message and exit 1 (#18.10)', () => {
  it('an error no command expected: one line with the frame it came from, never the quoted source', async () => {
    const { code, err } = await runCli(['synth', 'mmoe']);
    expect(code).toBe(1);
    expect(err).toHaveLength(1);
    expect(err[0]).toBe('towerflow synth: Maximum call stack size exceeded (buildMapOfGraph (/x/tf-backend-wasm.min.js:2:3456))');
  });

  it('describeFailure names a file system error code and stays short', () => {
    const error = Object.assign(new Error('x'.repeat(50_000)), { code: 'ENOSPC' });
    const line = describeFailure('towerflow', error);
    expect(line.length).toBeLessThan(2500);
    expect(line).toContain('[ENOSPC]');
  });

  it('a valid 5,000-node chain is refused with a diagnostic on its node, not a stack overflow', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-chain-'));
    writeFileSync(join(dir, 'chain.json'), chain(5000));
    writeFileSync(join(dir, 'data.csv'), 'x,y\n1,0\n2,1\n');
    const { code, err } = await runCli(['train', join(dir, 'chain.json'), '--data', join(dir, 'data.csv'), '--runs', join(dir, 'runs'), '--backend', 'cpu']);
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/error E_GRAPH_TOO_DEEP \[node m999\]: the graph chains 5003 nodes/);
    expect(err.join('\n')).toMatch(/chain\.json:\d+:\d+:/);
  }, 60_000);

  it('a 1,000-node-deep chain still builds (the cap is not below what tfjs can build)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tf-chain-'));
    writeFileSync(join(dir, 'chain.json'), chain(997));
    const { code } = await runCli(['validate', join(dir, 'chain.json')]);
    expect(code).toBe(0);
    const { compileGraph } = await import('../../app/compile/to-tfjs');
    const { loadGraph } = await import('../../app/graph/load');
    const built = compileGraph(loadGraph(chain(997)).graph as never);
    expect(built.ok).toBe(true);
    if (built.ok) built.compiled.model.dispose();
  }, 60_000);
});

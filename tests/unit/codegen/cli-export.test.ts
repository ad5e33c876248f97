import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../app/cli/main';
import { runCli } from '../../helpers/cli';

const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

describe('towerflow export', () => {
  it('writes the module of templates/mmoe.json: the golden file, byte for byte, and no temporary file left', async () => {
    const out = path.join(tmp, 'mmoe.ts');
    const { code, out: lines, err } = await run(['export', 'templates/mmoe.json', '--ts', out]);
    expect(err).toEqual([]);
    expect(code).toBe(EXIT.ok);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('tests/golden/codegen/mmoe.ts', 'utf8'));
    expect(lines.at(-1)).toMatch(/^wrote .*mmoe\.ts \(\d+ lines\)/);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces an existing file', async () => {
    const out = path.join(tmp, 'din.ts');
    writeFileSync(out, 'old content');
    expect((await run(['export', 'templates/din.json', '--ts', out])).code).toBe(EXIT.ok);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync('tests/golden/codegen/din.ts', 'utf8'));
  });

  it('refuses an invalid graph with exit 1, printing its diagnostics as validate does, and writes nothing', async () => {
    const graph = path.join(tmp, 'broken.json');
    writeFileSync(graph, JSON.stringify({ format: 'towerflow.graph', version: 1, name: 'x', nodes: [], edges: [] }, null, 2));
    const out = path.join(tmp, 'broken.ts');
    const { code, err } = await run(['export', graph, '--ts', out]);
    expect(code).toBe(EXIT.badInput);
    // A graph-wide problem is placed on the nodes array (line 5, where `"nodes": []` opens).
    expect(err[0]).toBe(`${graph}:5:12: error E_NO_OUTPUT: the graph has no output node; add an Output at the end of each task`);
    expect(err.at(-1)).toBe(`${graph}: 1 error; nothing exported`);
    expect(readdirSync(tmp)).not.toContain('broken.ts');
  });

  it('exit 1 for a graph file that cannot be read, or an output folder that does not exist', async () => {
    const missing = await run(['export', path.join(tmp, 'nope.json'), '--ts', path.join(tmp, 'x.ts')]);
    expect(missing.code).toBe(EXIT.badInput);
    expect(missing.err[0]).toMatch(/nope\.json: cannot read the file \(ENOENT\)/);
    const noFolder = await run(['export', 'templates/din.json', '--ts', path.join(tmp, 'no', 'such', 'dir', 'x.ts')]);
    expect(noFolder.code).toBe(EXIT.badInput);
    expect(noFolder.err[0]).toMatch(/x\.ts: cannot write the file \(ENOENT\)/);
  });

  it.each([
    [['export', 'templates/din.json']],
    [['export', '--ts', 'x.ts']],
    [['export', 'a.json', 'b.json', '--ts', 'x.ts']],
    [['export', 'templates/din.json', '--ts']],
    [['export', 'templates/din.json', '--ts', 'x.ts', '--js', 'y.js']],
  ])('usage error (exit 2) for %j', async (argv) => {
    const { code, err } = await run(argv);
    expect(code).toBe(EXIT.usage);
    expect(err.join('\n')).toContain('export <graph.json> --ts <out.ts>');
  });
});

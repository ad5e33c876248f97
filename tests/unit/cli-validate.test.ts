import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../app/cli/main';
import { loadGraph } from '../../app/graph/load';
import { runCli } from '../helpers/cli';

const ROOT = process.cwd();
const FIXTURES = path.resolve(ROOT, 'tests/fixtures/graphs');
const tmp = mkdtempSync(path.join(tmpdir(), 'towerflow-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const run = runCli;

function counts(file: string): string {
  const graph = loadGraph(readFileSync(file, 'utf8')).graph;
  if (!graph) throw new Error(`test bug: ${file} does not load`);
  return `${graph.nodes.length} nodes, ${graph.edges.length} edges`;
}

describe('towerflow validate', () => {
  it.each(['mmoe', 'ple', 'din', 'esmm'])('templates/%s.json: exit 0 and a summary line', async (name) => {
    const file = `templates/${name}.json`;
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(EXIT.ok);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toEqual([`${file}: 0 errors, 0 warnings (${counts(file)})`]);
  });

  it('a broken graph: exit 1, one file:line:col line per problem, then the summary', async () => {
    const file = writeTemp('broken.json', readFileSync(path.join(FIXTURES, 'broken.json'), 'utf8'));
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(EXIT.badInput);
    expect(code).toBe(1);
    expect(err).toEqual([
      `${file}:7:55: error E_PARAM_RANGE [node m]: "m": param "units[0]" must be ≥ 1, got 0`,
      expect.stringMatching(new RegExp(`^${escape(file)}:10:28: error E_UNKNOWN_KIND \\[node odd\\]: "odd" has unknown kind "transformer"`)),
      `${file}:16:5: error E_EDGE_MISSING_NODE [edge t.out->ghost.in]: edge t.out->ghost.in: its target node "ghost" does not exist`,
      `${file}:9:5: error E_LABEL_LEAK [node o]: output "o" is trained on column "age", which input "x" also feeds to the model (label leakage)`,
      `${file}: 4 errors, 1 warning (5 nodes, 4 edges)`,
    ]);
    expect(out).toEqual([`${file}:10:5: warning W_UNUSED_NODE [node odd]: "odd" does not feed any output`]);
  });

  it('every error line has the file:line:col: error E_CODE shape', async () => {
    const mmoe = JSON.parse(readFileSync('templates/mmoe.json', 'utf8')) as { nodes: { id: string; kind: string; params: Record<string, unknown> }[] };
    for (const n of mmoe.nodes) if (n.kind === 'tower') n.params.units = [0];
    const file = writeTemp('towers.json', JSON.stringify(mmoe, null, 2));
    const { code, err } = await run(['validate', file]);
    expect(code).toBe(1);
    const lines = err.slice(0, -1);
    expect(lines).toHaveLength(2);
    const text = readFileSync(file, 'utf8').split('\n');
    for (const [i, task] of ['income', 'marital'].entries()) {
      const match = new RegExp(`^${escape(file)}:(\\d+):(\\d+): error E_PARAM_RANGE \\[node ${task}_tower\\]: .*param "units\\[0\\]" must be ≥ 1, got 0$`).exec(lines[i] ?? '');
      expect(match, lines[i]).not.toBeNull();
      // The line is the one holding the bad value.
      expect(text[Number(match?.[1]) - 1]?.trim()).toBe('0');
    }
  });

  it('a file that is not JSON: exit 1, the parse error with its place, "not loaded"', async () => {
    const file = writeTemp('not-json.json', readFileSync(path.join(FIXTURES, 'not-json.json'), 'utf8'));
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([`${file}:4:18: error E_NOT_JSON: not valid JSON: "," expected at line 4, column 18`, `${file}: 1 error, 0 warnings (not loaded)`]);
  });

  it('a graph with only warnings exits 0 and prints them on stdout', async () => {
    const mmoe = JSON.parse(readFileSync('templates/mmoe.json', 'utf8')) as { nodes: { id: string; params: Record<string, unknown> }[] };
    const experts = mmoe.nodes.find((n) => n.id === 'experts');
    if (!experts) throw new Error('test bug');
    experts.params.unitz = 3;
    const file = writeTemp('warning.json', JSON.stringify(mmoe, null, 2));
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(0);
    expect(err).toEqual([]);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(new RegExp(`^${escape(file)}:\\d+:\\d+: warning W_PARAM_UNKNOWN \\[node experts\\]: .*no param "unitz"`));
    expect(out[1]).toMatch(/: 0 errors, 1 warning \(\d+ nodes, \d+ edges\)$/);
  });

  it('a missing file: exit 1, naming the file', async () => {
    const file = path.join(tmp, 'no-such-graph.json');
    const { code, out, err } = await run(['validate', file]);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([`${file}: cannot read the file (ENOENT)`]);
  });

  it('--json: exit 1 and a JSON report with the diagnostics', async () => {
    const file = writeTemp('broken-json.json', readFileSync(path.join(FIXTURES, 'broken.json'), 'utf8'));
    const { code, out, err } = await run(['validate', file, '--json']);
    expect(code).toBe(1);
    expect(err).toEqual([]);
    expect(out).toHaveLength(1);
    const report = JSON.parse(out[0] ?? '') as { file: string; ok: boolean; diagnostics: { code: string; line?: number; nodeId?: string }[] };
    expect(report.file).toBe(file);
    expect(report.ok).toBe(false);
    expect(report.diagnostics.map((d) => d.code)).toEqual(['E_PARAM_RANGE', 'E_UNKNOWN_KIND', 'E_EDGE_MISSING_NODE', 'E_LABEL_LEAK', 'W_UNUSED_NODE']);
    expect(report.diagnostics[0]).toMatchObject({ nodeId: 'm', line: 7, column: 55 });
  });

  it('--json on a valid template: ok and no diagnostics', async () => {
    const { code, out } = await run(['validate', 'templates/mmoe.json', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out[0] ?? '')).toEqual({ file: 'templates/mmoe.json', ok: true, diagnostics: [] });
  });
});

describe('usage errors', () => {
  it('no arguments: exit 2 and the usage', async () => {
    const { code, out, err } = await run([]);
    expect(code).toBe(EXIT.usage);
    expect(code).toBe(2);
    expect([...out, ...err].join('\n')).toContain('Usage: towerflow <command>');
    expect([...out, ...err].join('\n')).toMatch(/validate <graph\.json> \[--json\]/);
  });

  it('an unknown command: exit 2, naming it', async () => {
    const { code, out, err } = await run(['frobnicate', 'x.json']);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(/^towerflow: unknown command "frobnicate"/);
    expect(err.join('\n')).toContain('Usage:');
  });

  it.each([
    ['no file', ['validate'], 'expected exactly one graph file'],
    ['two files', ['validate', 'a.json', 'b.json'], 'expected exactly one graph file'],
    ['an unknown option', ['validate', 'templates/mmoe.json', '--jsno'], 'unknown option --jsno; did you mean --json?'],
  ])('validate with %s: exit 2', async (_name, argv, words) => {
    const { code, err } = await run(argv);
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(`towerflow validate: ${words}`);
  });

  it('--help: exit 0 and the usage', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('validate <graph.json> [--json]');
  });
});

describe('the real bin', () => {
  it('node bin/towerflow.mjs validate templates/mmoe.json exits 0', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/towerflow.mjs', 'validate', 'templates/mmoe.json'], {
      cwd: ROOT,
      timeout: 30_000,
    });
    expect(stderr).toBe('');
    expect(stdout).toBe(`templates/mmoe.json: 0 errors, 0 warnings (${counts('templates/mmoe.json')})\n`);
  }, 30_000);

  it('and exits 1 on a broken graph', async () => {
    const file = writeTemp('bin-broken.json', readFileSync(path.join(FIXTURES, 'broken.json'), 'utf8'));
    const error = await promisify(execFile)(process.execPath, ['bin/towerflow.mjs', 'validate', file], { cwd: ROOT, timeout: 30_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain(`${file}:7:55: error E_PARAM_RANGE [node m]`);
  }, 30_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

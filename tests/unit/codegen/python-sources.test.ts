import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTorchPackage } from '../../../app/codegen/python/package';
import { PYTHON_SOURCES } from '../../../app/codegen/python/sources.generated';
import { PYTHON_FILE_NAMES, PYTHON_SOURCES_FILE, renderPythonSources } from '../../../scripts/python-sources';
import { loadTemplate } from '../../helpers/plain';
import { exportPackage, pythonEnv, run } from './python-support';
import { scratchDir, VERSION } from './support';

/**
 * The fixed files of the PyTorch export are real files in app/codegen/python/ (data.py, train.py, ...):
 * the package carries exactly their bytes, through sources.generated.ts; ruff checks them with the
 * root ruff.toml and pytest runs tests/python/ against an exported package.
 */
describe('PyTorch export: the fixed Python files', () => {
  it('app/codegen/python/sources.generated.ts is fresh (run `npm run python-sources` after changing a .py file)', () => {
    expect(readFileSync(PYTHON_SOURCES_FILE, 'utf8')).toBe(renderPythonSources());
  });

  it('reach the package byte for byte, every one of them', async () => {
    const generated = await generateTorchPackage(loadTemplate('mmoe'), { towerflowVersion: VERSION });
    if (!generated.ok) throw new Error('test bug: mmoe does not validate');
    // The files on disk are the test above's business (this one would race an edit made while it runs).
    expect(Object.keys(PYTHON_SOURCES)).toEqual([...PYTHON_FILE_NAMES]);
    for (const name of PYTHON_FILE_NAMES) {
      expect(generated.files[name], name).toBe(PYTHON_SOURCES[name]);
      expect(PYTHON_SOURCES[name].length, name).toBeGreaterThan(0);
    }
  });
});

const env = await pythonEnv();
if (!env.python) console.warn(`Skipping ruff and pytest on the export's Python files: ${env.reason ?? 'no Python environment'}`);
const PYTHON = env.python ?? 'python3';
const BIN = path.dirname(PYTHON);
const tmp = scratchDir('towerflow-pysrc-');
afterAll(() => tmp.remove());

describe.skipIf(!env.python)('PyTorch export: the fixed Python files, checked by Python tools', () => {
  it('pass ruff check with ruff.toml (import order, bugbear, pyupgrade besides the defaults)', async () => {
    const lint = await run(path.join(BIN, 'ruff'), ['check', '--no-cache', '.'], { cwd: process.cwd() }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
    expect(lint.stdout.trim()).toBe('All checks passed!');
  });

  it('pass their pytest tests (tests/python), run against an exported MMoE package', async () => {
    const dir = await exportPackage(loadTemplate('mmoe'), path.join(tmp.dir, 'mmoe'));
    const result = await run(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/python'], {
      cwd: process.cwd(),
      env: { ...process.env, TOWERFLOW_TORCH_PACKAGE: dir },
      timeout: 300_000,
      maxBuffer: 16 << 20,
    }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: `${e.stdout ?? ''}\n${e.stderr ?? String(e)}` }));
    expect(result.stdout).toMatch(/\d+ passed/);
    expect(result.stdout).not.toMatch(/failed|error/i);
  }, 300_000);
});

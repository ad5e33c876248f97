import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateTorchPackage } from '../../../app/codegen/python/package';
import type { Graph } from '../../../app/graph/schema';
import { VERSION } from './support';

/**
 * The project-local Python the PyTorch export tests run in (scripts/python-env.sh: .venv-torch, or
 * .venv-torchrec with --torchrec), or why there is none: no python3, no network to PyPI, or
 * TOWERFLOW_PYTHON_TESTS=skip. The tests skip with that reason printed.
 */
export const run = promisify(execFile);
const ROOT = process.cwd();

export async function pythonEnv(flavour: 'torch' | 'torchrec' = 'torch'): Promise<{ python?: string; reason?: string }> {
  if (process.env.TOWERFLOW_PYTHON_TESTS === 'skip') return { reason: 'TOWERFLOW_PYTHON_TESTS=skip' };
  const args = [path.join(ROOT, 'scripts/python-env.sh'), ...(flavour === 'torchrec' ? ['--torchrec'] : [])];
  try {
    const { stdout } = await run('bash', args, { timeout: 20 * 60_000, maxBuffer: 1 << 20 });
    const python = stdout.trim().split('\n').at(-1);
    return python && existsSync(python) ? { python } : { reason: `scripts/python-env.sh printed no python (${stdout.trim()})` };
  } catch (error) {
    const e = error as { code?: number; stderr?: string; message: string };
    return { reason: `scripts/python-env.sh ${args.slice(1).join(' ')} failed (exit ${e.code ?? '?'}): ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' / ')}` };
  }
}

/** Runs python with args in cwd; a failure throws with both output streams. */
export async function runPython(python: string, args: string[], cwd: string, timeout = 120_000): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(python, args, { cwd, timeout, maxBuffer: 16 << 20 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`python ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Writes the PyTorch package Towerflow generates for `graph` into `dir`. */
export async function exportPackage(graph: Graph, dir: string): Promise<string> {
  const generated = await generateTorchPackage(graph, { towerflowVersion: VERSION });
  if (!generated.ok) throw new Error(`test bug: ${generated.diagnostics.map((d) => d.message).join('; ')}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(generated.files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

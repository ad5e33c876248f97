/**
 * `npm run bench`: training throughput of the compiled MMoE template against a hand-written tfjs
 * model of the same architecture (and stacked-expert variants) on every backend that starts, then
 * CSV ingestion speed and memory. Prints tables and writes bench/results/latest.json.
 *
 * Options: --backends=cpu,wasm (default: all, unavailable ones reported as skipped), --skip-csv,
 * --quick (a seconds-long run to check the bench works; writes no results unless --out is given),
 * --out=FILE (where the JSON goes).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBackendName, type NodeBackendName } from '../app/engine/backend';
import { DEFAULT_CONFIG, runBench, type BenchConfig } from './bench';
import { formatReport } from './report';

// Silences tfjs's "install tfjs-node for speed" banners; they are noise in a report.
tf.env().set('PROD', true);

const LATEST = fileURLToPath(new URL('./results/latest.json', import.meta.url));

/** The quick configuration: every code path, tiny sizes. */
const QUICK_PLAN = { rows: 1024, epochs: 1, repetitions: 1, warmupRows: 256 };

interface Args {
  config: BenchConfig;
  out: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let config: BenchConfig = { ...DEFAULT_CONFIG };
  let out: string | undefined = LATEST;
  let quick = false;
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--quick') quick = true;
    else if (flag === '--skip-csv') config = { ...config, csvRows: 0 };
    else if (flag === '--out' && value) out = value;
    else if (flag === '--backends' && value) config = { ...config, backends: value.split(',').map(backendName) };
    else throw new Error(`unknown option ${arg}; see the comment at the top of bench/run.ts`);
  }
  if (quick) {
    const plans = Object.fromEntries(Object.keys(config.plans).map((b) => [b, QUICK_PLAN])) as BenchConfig['plans'];
    config = { ...config, dataRows: 2048, plans, csvRows: Math.min(config.csvRows, 20_000) };
    if (out === LATEST && !argv.some((a) => a.startsWith('--out='))) out = undefined;
  }
  return { config, out };
}

function backendName(text: string): NodeBackendName {
  const name = parseBackendName(text.trim());
  if (!name) throw new Error(`unknown backend "${text}"`);
  return name;
}

async function main(): Promise<void> {
  const { config, out } = parseArgs(process.argv.slice(2));
  const results = await runBench(config, (line) => console.error(line));
  console.log(`\n${formatReport(results)}`);
  if (out) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});

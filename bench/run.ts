/**
 * `npm run bench`: training throughput of the compiled MMoE template against a hand-written tfjs
 * model of the same architecture (and stacked-expert variants) on every backend that starts, then
 * CSV ingestion speed and memory. Prints tables and writes bench/results/latest.json.
 *
 * Then the PyTorch peer: the same MMoE in plain PyTorch on the same encoded census split, rounds
 * interleaved with Towerflow's, at batch 512 and 4096 (bench/peer-bench.ts).
 *
 * Then every template against the PyTorch model Towerflow's own export generates for it
 * (bench/template-peers.ts): the same encoded arrays, batch 512, rounds interleaved; with kernels
 * per step and peak RSS of both processes.
 *
 * Then the data bench (bench/data-bench.ts): Towerflow's ready-to-train on a 500k-row census file
 * against pandas' read_csv plus the same encoding, rounds interleaved, plain and gzip, with the
 * baselines under it (bytes, lines, byte scan, csv-parse, table rows); its JSON also goes to
 * bench/results/data-latest.json.
 *
 * Options: --backends=cpu,wasm (default: all, unavailable ones reported as skipped), --skip-csv,
 * --no-peer (skip the PyTorch peer), --peer-only (only the peer), --no-templates (skip the
 * template peers), --templates-only (only them), --template-batch=N, --peer-batches=512,4096,
 * --threads=N (Towerflow's training threads in the peer and template benches: N − 1 replicas,
 * app/train/replicas.ts), --wasm-threads=N (the wasm backend's XNNPACK pool for the whole bench;
 * docs/wasm-threads.md),
 * --data-only (only the data bench), --no-data (skip it), --data-rows=N, --data-rounds=N,
 * --no-pandas, --no-pyarrow (skip the pandas engine="pyarrow" figure), --no-baselines,
 * --data-profile (profile one more Towerflow run with --cpu-prof: the top self-time functions),
 * --quick (a seconds-long run to check the bench works; writes no results unless --out is given),
 * --out=FILE (where the JSON goes).
 *
 * --large [--rows=N] [--batch=N] [--keep]: only the files-larger-than-memory bench (bench/large.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBackendName, type NodeBackendName } from '../app/engine/backend';
import { DEFAULT_CONFIG, runBench, type BenchConfig } from './bench';
import { DEFAULT_DATA_CONFIG, QUICK_DATA_CONFIG, formatDataReport, runDataBench, type DataBenchConfig } from './data-bench';
import { DEFAULT_PEER_CONFIG, formatPeerReport, runPeerBench, type PeerBenchConfig } from './peer-bench';
import { largeMain } from './large';
import { formatReport } from './report';
import { setWasmThreads } from '../app/engine/wasm-threads';
import { setBenchThreads } from './training';
import { DEFAULT_TEMPLATE_PEER_CONFIG, formatTemplatePeerReport, runTemplatePeerBench, type TemplatePeerConfig } from './template-peers';

// Silences tfjs's "install tfjs-node for speed" banners; they are noise in a report.
tf.env().set('PROD', true);

const LATEST = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const DATA_LATEST = fileURLToPath(new URL('./results/data-latest.json', import.meta.url));

/** The quick configuration: every code path, tiny sizes. */
const QUICK_PLAN = { rows: 1024, epochs: 1, repetitions: 1, warmupRows: 256 };

interface Args {
  config: BenchConfig;
  peer: PeerBenchConfig | undefined;
  templates: TemplatePeerConfig | undefined;
  data: DataBenchConfig | undefined;
  main: boolean;
  out: string | undefined;
  dataOut: string | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let config: BenchConfig = { ...DEFAULT_CONFIG };
  let out: string | undefined = LATEST;
  let quick = false;
  let peer: PeerBenchConfig | undefined = { ...DEFAULT_PEER_CONFIG };
  let templates: TemplatePeerConfig | undefined = { ...DEFAULT_TEMPLATE_PEER_CONFIG };
  let main = true;
  let data: DataBenchConfig | undefined = { ...DEFAULT_DATA_CONFIG };
  const dataChanges: Partial<DataBenchConfig> = {};
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--quick') quick = true;
    else if (flag === '--no-peer') peer = undefined;
    else if (flag === '--peer-only') {
      main = false;
      data = undefined;
      templates = undefined;
    } else if (flag === '--data-only') {
      main = false;
      peer = undefined;
      templates = undefined;
    } else if (flag === '--templates-only') {
      main = false;
      peer = undefined;
      data = undefined;
    } else if (flag === '--no-templates') templates = undefined;
    else if (flag === '--wasm-threads' && value) setWasmThreads(positive(arg, value));
    else if (flag === '--threads' && value) setBenchThreads(positive(arg, value));
    else if (flag === '--peer-batches' && value) peer = peer && { ...peer, batches: value.split(',').map((b) => positive(arg, b)) };
    else if (flag === '--template-batch' && value) templates = templates && { ...templates, batch: positive(arg, value) };
    else if (flag === '--no-data') data = undefined;
    else if (flag === '--data-rows' && value) dataChanges.rows = positive(arg, value);
    else if (flag === '--data-rounds' && value) dataChanges.rounds = positive(arg, value);
    else if (flag === '--no-pandas') dataChanges.pandas = false;
    else if (flag === '--no-pyarrow') dataChanges.pyarrow = false;
    else if (flag === '--no-baselines') dataChanges.baselines = false;
    else if (flag === '--data-profile') dataChanges.profile = true;
    else if (flag === '--skip-csv') config = { ...config, csvRows: 0 };
    else if (flag === '--out' && value) out = value;
    else if (flag === '--backends' && value) config = { ...config, backends: value.split(',').map(backendName) };
    else throw new Error(`unknown option ${arg}; see the comment at the top of bench/run.ts`);
  }
  if (quick) {
    const plans = Object.fromEntries(Object.keys(config.plans).map((b) => [b, QUICK_PLAN])) as BenchConfig['plans'];
    config = { ...config, dataRows: 2048, plans, csvRows: Math.min(config.csvRows, 20_000) };
    if (out === LATEST && !argv.some((a) => a.startsWith('--out='))) out = undefined;
    if (peer) peer = { ...peer, rounds: 1, batches: [512] };
    if (templates) templates = { ...templates, rows: 2048, rounds: 1, kernels: false };
    if (data) data = { ...QUICK_DATA_CONFIG };
  }
  if (data) data = { ...data, ...dataChanges };
  const dataOut = quick ? undefined : DATA_LATEST;
  return { config, peer, templates, data, main, out, dataOut };
}

function positive(arg: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${arg}: expected a positive integer`);
  return n;
}

function backendName(text: string): NodeBackendName {
  const name = parseBackendName(text.trim());
  if (!name) throw new Error(`unknown backend "${text}"`);
  return name;
}

async function main(): Promise<void> {
  // Files larger than memory (bench/large.ts) are their own run: a 20M-row file takes most of an hour.
  if (process.argv.includes('--large')) return largeMain(process.argv.slice(2));
  const { config, peer, templates, data, main, out, dataOut } = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.error(line);
  const results = main ? await runBench(config, log) : undefined;
  const peerResult = peer ? await runPeerBench(peer, log) : undefined;
  const templateResult = templates ? await runTemplatePeerBench(templates, log) : undefined;
  const dataResult = data ? await runDataBench(data, log) : undefined;
  if (results) console.log(`\n${formatReport(results)}`);
  if (peerResult) console.log(`\n${formatPeerReport(peerResult)}`);
  if (templateResult) console.log(`\n${formatTemplatePeerReport(templateResult)}`);
  if (dataResult) console.log(`\n${formatDataReport(dataResult)}`);
  // --data-only writes only the data JSON, so latest.json keeps the last training figures.
  const dataOnly = !results && !peerResult && !templateResult;
  if (out && !dataOnly) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify({ ...results, ...(peerResult ? { pytorchPeer: peerResult } : {}), ...(templateResult ? { templatePeers: templateResult } : {}), ...(dataResult ? { data: dataResult } : {}) }, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  }
  const dataFile = dataOnly && out !== LATEST ? out : dataOut;
  if (dataResult && dataFile) {
    await mkdir(dirname(dataFile), { recursive: true });
    await writeFile(dataFile, `${JSON.stringify(dataResult, null, 2)}\n`);
    console.log(`wrote ${dataFile}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});

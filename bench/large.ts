/**
 * `npm run bench -- --large [--rows=20000000] [--batch=2048] [--keep] [--ready-only] [--in-memory] [--out=FILE]` (issue #22
 * goal 4): a census-shaped header-less CSV of `rows` rows (the real rows of census-income.test.gz
 * repeated, the last copy cut) is written under the system's temporary folder, then `towerflow
 * train` trains one epoch of the MMoE template on it in a child process, streamed from the on-disk
 * block entry (TOWERFLOW_STREAM_FROM=1 makes even a small file stream, so a short run measures the
 * same path). The child's peak RSS is its VmHWM from /proc, read every 250 ms while it runs.
 * Reported: rows, peak RSS, ready time (child start to the first training step), samples/s,
 * seconds, and the load average before and after. The file and the block entry are deleted
 * afterwards unless --keep. Results: bench/results/large-latest.json.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CENSUS_FILE } from './torch-peer';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LARGE_LATEST = join(ROOT, 'bench', 'results', 'large-latest.json');
const WORK = join(os.tmpdir(), 'towerflow-large');

export interface LargeConfig {
  rows: number;
  batch: number;
  keep: boolean;
  out: string;
  validation: number;
  /** Stop the child at its first training step: ready time and the peak RSS until then (a second run shows the block entry reused). */
  readyOnly: boolean;
  /** Read into memory as files below the streaming threshold are (for comparison), instead of streaming. */
  inMemory: boolean;
}

export const DEFAULT_LARGE_CONFIG: LargeConfig = { rows: 20_000_000, batch: 2048, keep: false, out: LARGE_LATEST, validation: 0.1, readyOnly: false, inMemory: false };

export function parseLargeArgs(argv: readonly string[]): LargeConfig {
  let config = { ...DEFAULT_LARGE_CONFIG };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--large') continue;
    if (flag === '--rows' && value) config = { ...config, rows: positiveInteger(arg, value) };
    else if (flag === '--batch' && value) config = { ...config, batch: positiveInteger(arg, value) };
    else if (flag === '--keep') config = { ...config, keep: true };
    else if (flag === '--ready-only') config = { ...config, readyOnly: true };
    else if (flag === '--in-memory') config = { ...config, inMemory: true };
    else if (flag === '--out' && value) config = { ...config, out: value };
    else throw new Error(`unknown option ${arg} for --large; see the comment at the top of bench/large.ts`);
  }
  return config;
}

function positiveInteger(arg: string, value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${arg}: expected a positive integer`);
  return n;
}

export interface LargeResult {
  rows: number;
  mode: string;
  fileBytes: number;
  fileSeconds: number;
  batch: number;
  validationShare: number;
  /** The child's VmHWM: its peak resident set, bytes. */
  peakRss: number;
  /** Child start to the first training step's progress line, seconds (reading and writing the blocks included). */
  readySeconds: number;
  /** summary.json's readySeconds: reading start to data ready. */
  dataReadySeconds?: number;
  /** The training pass of the epoch (the CLI's epoch line). */
  samplesPerSecond?: number;
  epochSeconds?: number;
  /** summary.json's rate: training samples over the whole training time, validation included. */
  runSamplesPerSecond?: number;
  /** The epoch's metrics (finite losses and AUCs show the model trained). */
  validation?: unknown;
  totalSeconds: number;
  trainRows?: number;
  validRows?: number;
  streamNote?: string;
  backend?: string;
  exitCode: number | null;
  loadBefore: number[];
  loadAfter: number[];
  cores: number;
  memoryBytes: number;
  date: string;
  /** The child's last lines, when it failed. */
  tail?: string[];
}

/** The census test rows repeated to `rows` rows, plain text, written once per size and reused while its size matches. */
async function censusRows(rows: number, log: (line: string) => void): Promise<{ file: string; bytes: number; seconds: number }> {
  if (!existsSync(CENSUS_FILE)) throw new Error(`the large bench repeats ${CENSUS_FILE}, which is not there (see ../shared/data/census-income-kdd/SOURCE.md)`);
  await mkdir(WORK, { recursive: true });
  const file = join(WORK, `census-${rows}.csv`);
  const text = gunzipSync(await readFile(CENSUS_FILE));
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) if (text[i] === 10) ends.push(i + 1);
  const whole = Math.floor(rows / ends.length);
  const rest = rows - whole * ends.length;
  const bytes = whole * text.length + (rest > 0 ? (ends[rest - 1] as number) : 0);
  if ((await stat(file).catch(() => undefined))?.size === bytes) return { file, bytes, seconds: 0 };
  log(`writing ${rows.toLocaleString('en')} census rows (${(bytes / 2 ** 30).toFixed(1)} GiB) to ${file}`);
  const started = performance.now();
  const out = createWriteStream(file, { highWaterMark: 8 << 20 });
  const write = (chunk: Buffer) => new Promise<void>((resolve, reject) => (out.write(chunk, (error) => (error ? reject(error) : resolve()))));
  for (let copy = 0; copy < whole; copy++) await write(text);
  if (rest > 0) await write(text.subarray(0, ends[rest - 1] as number));
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { file, bytes, seconds: (performance.now() - started) / 1000 };
}

/** VmHWM and VmRSS of a process, bytes; undefined once it is gone. */
async function memoryOf(pid: number): Promise<{ hwm: number; rss: number } | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return undefined;
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { hwm: kib('VmHWM'), rss: kib('VmRSS') };
}

export async function runLargeBench(config: LargeConfig, log: (line: string) => void): Promise<LargeResult> {
  const loadBefore = os.loadavg();
  const made = await censusRows(config.rows, log);
  const runs = join(WORK, 'runs');
  await rm(runs, { recursive: true, force: true });
  const args = [
    join(ROOT, 'bin', 'towerflow.mjs'), 'train', join(ROOT, 'templates', 'mmoe.json'),
    '--data', made.file, '--binding', join(ROOT, 'examples', 'census-income.binding.json'),
    '--epochs', '1', '--batch-size', String(config.batch), '--validation', String(config.validation), '--runs', runs,
  ];
  log(`towerflow train: one MMoE epoch on ${config.rows.toLocaleString('en')} rows, batch ${config.batch}, ${config.inMemory ? 'in memory' : 'streamed'}${config.readyOnly ? ', stopped at the first step' : ''}`);
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, TOWERFLOW_STREAM_FROM: config.inMemory ? '1T' : '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let peakRss = 0;
  let firstStep: number | undefined;
  let streamNote: string | undefined;
  /** The CLI's epoch line: the training pass alone (summary.json's rate includes validation). */
  let trainingRate: { seconds: number; samplesPerSecond: number } | undefined;
  const lines: string[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 40) lines.shift();
    if (firstStep === undefined && /^epoch 1\/1 \[/.test(line)) {
      firstStep = performance.now();
      // The peak so far is read before the stop, which ends the child within a batch.
      if (config.readyOnly) void memoryOf(child.pid as number).then((m) => (peakRss = Math.max(peakRss, m?.hwm ?? 0))).then(() => child.kill('SIGINT'));
    }
    if (line.startsWith('data: ')) streamNote = line;
    const epoch = /^epoch 1: ([\d.]+) s, (\d+) samples\/s/.exec(line);
    if (epoch) trainingRate = { seconds: Number(epoch[1]), samplesPerSecond: Number(epoch[2]) };
    if (/^(epoch|reading|data:|run |completed|saved)/.test(line)) log(`  ${line.slice(0, 160)}`);
  };
  let buffered = '';
  const take = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split(/\r?\n|\r/);
    buffered = parts.pop() ?? '';
    parts.forEach(onLine);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const poll = setInterval(() => {
    void memoryOf(child.pid as number).then((m) => {
      if (m) peakRss = Math.max(peakRss, m.hwm);
    });
  }, 250);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  if (buffered) onLine(buffered);
  const totalSeconds = (performance.now() - started) / 1000;
  const summary = await readSummary(runs);
  if (!config.keep) {
    await rm(made.file, { force: true });
    await rm(join(WORK, '.towerflow-cache'), { recursive: true, force: true });
  }
  return {
    rows: config.rows,
    mode: `${config.inMemory ? 'in memory' : 'streamed'}${config.readyOnly ? ', stopped at the first step' : ''}`,
    fileBytes: made.bytes,
    fileSeconds: made.seconds,
    batch: config.batch,
    validationShare: config.validation,
    peakRss,
    readySeconds: firstStep === undefined ? Number.NaN : (firstStep - started) / 1000,
    ...(summary?.data?.readySeconds !== undefined ? { dataReadySeconds: summary.data.readySeconds } : {}),
    ...(trainingRate ? { samplesPerSecond: trainingRate.samplesPerSecond, epochSeconds: trainingRate.seconds } : {}),
    ...(summary?.samplesPerSecond !== undefined ? { runSamplesPerSecond: summary.samplesPerSecond } : {}),
    ...(summary?.best ? { validation: summary.best } : {}),
    totalSeconds,
    ...(summary?.trainRows !== undefined ? { trainRows: summary.trainRows, validRows: summary.validRows } : {}),
    ...(streamNote ? { streamNote } : {}),
    ...(summary?.backend ? { backend: summary.backend } : {}),
    exitCode,
    loadBefore,
    loadAfter: os.loadavg(),
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    date: new Date().toISOString(),
    ...(exitCode === 0 ? {} : { tail: lines.slice(-15) }),
  };
}

interface SummaryFacts {
  samplesPerSecond?: number;
  best?: unknown;
  trainRows?: number;
  validRows?: number;
  backend?: string;
  data?: { readySeconds?: number };
}

async function readSummary(runs: string): Promise<SummaryFacts | undefined> {
  const folder = (await readdir(runs).catch(() => [] as string[])).find((name) => existsSync(join(runs, name, 'summary.json')));
  if (folder === undefined) return undefined;
  const summary = JSON.parse(await readFile(join(runs, folder, 'summary.json'), 'utf8')) as SummaryFacts;
  return summary;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function formatLargeReport(result: LargeResult): string {
  const load = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  return [
    `Files larger than memory (#22 goal 4): one MMoE epoch, ${result.mode}`,
    `  rows            ${result.rows.toLocaleString('en')} (${(result.fileBytes / 2 ** 30).toFixed(1)} GiB of text; ${result.trainRows ?? '?'} train, ${result.validRows ?? '?'} valid)`,
    `  peak RSS        ${mib(result.peakRss)} (VmHWM of the training process)`,
    `  ready           ${result.readySeconds.toFixed(1)} s from start to the first step (data ready ${result.dataReadySeconds?.toFixed(1) ?? '?'} s)`,
    `  samples/s       ${result.samplesPerSecond?.toFixed(0) ?? '?'} (batch ${result.batch}, ${result.backend ?? '?'}; epoch ${result.epochSeconds?.toFixed(0) ?? '?'} s, all ${result.totalSeconds.toFixed(0)} s)`,
    `  load average    ${load(result.loadBefore)} before, ${load(result.loadAfter)} after (${result.cores} cores)`,
    ...(result.exitCode === 0 || (result.mode.includes('first step') && Number.isFinite(result.readySeconds)) ? [] : [`  FAILED (exit ${result.exitCode}):`, ...(result.tail ?? []).map((l) => `    ${l}`)]),
  ].join('\n');
}

export async function largeMain(argv: readonly string[]): Promise<void> {
  const config = parseLargeArgs(argv);
  const result = await runLargeBench(config, (line) => console.error(line));
  console.log(`\n${formatLargeReport(result)}`);
  await mkdir(join(config.out, '..'), { recursive: true });
  await writeFile(config.out, `${JSON.stringify(result, null, 2)}\n`);
  console.error(`wrote ${config.out}`);
  if (result.exitCode !== 0 && !(config.readyOnly && Number.isFinite(result.readySeconds))) process.exitCode = 1;
}

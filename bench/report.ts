import { CONTENDERS, mb, RATIOS, type BackendResult, type BenchResults, type RatioName } from './bench';
import type { Timing } from './training';

/** The results as plain-text tables for the terminal. */
export function formatReport(results: BenchResults): string {
  const lines = [
    `Towerflow bench — ${results.date}`,
    `Node ${results.node}, tfjs ${results.tfjs}, ${results.cpu} (${results.cores} cores), ${results.platform}`,
    `load average ${loads(results.loadAverage.start)} at start, ${loads(results.loadAverage.end)} at end; whole bench ${results.seconds.toFixed(0)} s`,
    ...busyWarning(results),
    '',
    ...trainingReport(results),
  ];
  if (results.csv) lines.push('', ...csvReport(results.csv));
  return lines.join('\n');
}

function trainingReport(results: BenchResults): string[] {
  const { training } = results;
  const ok = training.backends.filter((b): b is Extract<BackendResult, { status: 'ok' }> => b.status === 'ok');
  const params = ok[0]?.parameters;
  const paramText = params ? CONTENDERS.map((id) => `${id} ${params[id]}`).join(', ') : 'n/a';
  const speeds = ok.map((b) => [
    b.backend,
    `${b.plan.rows}×${b.plan.epochs}×${b.plan.repetitions}`,
    ...CONTENDERS.map((id) => spread(b.samplesPerSecond[id])),
  ]);
  const ratios = ok.flatMap((b) =>
    (Object.keys(RATIOS) as RatioName[]).map((name) => {
      const r = b.ratios[name];
      return [b.backend, name, r.ofMedians.toFixed(2), r.pairedMedian.toFixed(2), r.perCpuSecond.toFixed(2)];
    }),
  );
  const skipped = training.backends.filter((b) => b.status === 'skipped').map((b) => `${b.backend}: skipped — ${b.reason}`);
  return [
    `Training the MMoE template with app/train/session.ts trainModel: ${training.optimizer} lr ${training.learningRate}, batch ${training.batchSize}, on the first rows of ${training.dataRows} rows of synthetic census-width data`,
    `parameters: ${paramText}`,
    '',
    'samples/s, median (min–max) over the rounds; "hand-written" = idiomatic tf.layers model with separate Dense experts,',
    'the stacked columns = the same model with all experts in one kernel',
    table(['backend', 'rows×epochs×rounds', 'compiled', 'hand-written', 'stacked matMul', 'stacked batched matMul'], speeds),
    ...skipped,
    '',
    'tfjs kernels per training step (forward, backward, adam update)',
    table(['backend', ...CONTENDERS], ok.map((b) => [b.backend, ...CONTENDERS.map((id) => String(b.kernelsPerStep[id]))])),
    '',
    'ratios (> 1: the first is faster): of the medians; median of the per-round ratios (contenders run back to back);',
    'of the median samples per CPU second (least disturbed by other processes on the machine)',
    table(['backend', 'ratio', 'of medians', 'paired', 'per CPU s'], ratios, 2),
  ];
}

function csvReport(csv: NonNullable<BenchResults['csv']>): string[] {
  const g = csv.generated;
  const row = (name: string, r: typeof csv.plain) => [
    name,
    Math.round(r.rowsPerSecond).toLocaleString('en-US'),
    r.seconds.toFixed(1),
    mb(r.rssBefore),
    mb(r.peak.rss),
    mb(r.heapUsedBefore),
    mb(r.peak.heapUsed),
    `${mb(r.maxRssAfter)}${r.maxRssAfter > r.maxRssBefore ? '' : ' (set earlier)'}`,
  ];
  return [
    `CSV ingestion with app/data/table-reader.ts openTable().rows(): ${g.rows.toLocaleString('en-US')} rows × ${g.columns} columns, ${mb(g.bytes)} (${mb(g.gzipBytes)} gzip), generated in ${g.seconds.toFixed(1)} s`,
    '',
    csv.reader === 'child'
      ? 'each read runs in a fresh child process: "before" is that process after loading the reader, maxRSS is the read\'s own'
      : 'reads ran in the bench process: maxRSS is that process\'s lifetime peak',
    table(
      ['input', 'rows/s', 'seconds', 'RSS before', 'peak RSS', 'heap used before', 'peak heap used', 'process maxRSS'],
      [row('plain', csv.plain), row('gzip', csv.gzip)],
    ),
  ];
}

/** Other processes competing for the cores depress and scatter the wall-clock figures. */
function busyWarning(results: BenchResults): string[] {
  const load = Math.max(results.loadAverage.start[0] ?? 0, results.loadAverage.end[0] ?? 0);
  if (load <= results.cores) return [];
  return [
    `WARNING: the machine was busy (1-minute load ${load.toFixed(1)} on ${results.cores} cores): samples/s are depressed and noisy;`,
    'trust the per-CPU-second ratios most, and rerun on an idle machine before drawing conclusions from small differences.',
  ];
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const spread = (t: Timing): string => `${count(t.median)} (${count(t.min)}–${count(t.max)})`;
const loads = (values: number[]): string => values.map((v) => v.toFixed(2)).join(' ');

/** The first `labels` columns left-aligned (names), the rest right-aligned (figures). */
export function table(header: string[], rows: string[][], labels = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c < labels ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

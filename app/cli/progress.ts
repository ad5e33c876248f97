import type { RunEvent } from '../train/run';
import type { EpochMetrics } from '../train/session';
import type { CliIO } from './io';

/**
 * Training progress for a terminal: a redrawn bar with ETA on a TTY, plain lines (at most one every
 * few seconds) in pipes and logs, and a table of task metrics after each epoch.
 */
export function progressPrinter(io: CliIO, write: (text: string) => void): (event: RunEvent) => void {
  let lastPlain = 0;
  let readingSince: number | undefined;
  return (event) => {
    if (event.type === 'progress') {
      const width = 24;
      const done = Math.round((event.step / event.steps) * width);
      const tasks = Object.entries(event.taskLoss).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ');
      const text = `epoch ${event.epoch}/${event.epochs} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${event.step}/${event.steps}  ${Math.round(event.samplesPerSecond)} samples/s  ETA ${formatSeconds(event.etaSeconds)}  loss ${event.loss.toFixed(4)}  ${tasks}`;
      if (io.isTTY) write(`\r${text.slice(0, 160)}\x1b[K`);
      else if (Date.now() - lastPlain > 5000 || event.step === event.steps) {
        lastPlain = Date.now();
        io.out(text);
      }
    } else if (event.type === 'epoch') {
      if (io.isTTY) write('\r\x1b[K');
      io.out(epochTable(event.epoch, event.train, event.valid, event.improved, event.seconds, event.samplesPerSecond, event.learningRate));
    } else if (event.type === 'reading') {
      const width = 24;
      const share = event.total > 0 ? Math.min(1, event.done / event.total) : 0;
      const done = Math.round(share * width);
      const text = `reading [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(share * 100).toFixed(0)}%  ${event.rows.toLocaleString('en-US')} rows  ETA ${formatSeconds(event.etaSeconds)}`;
      if (io.isTTY) write(`\r${text}\x1b[K`);
      else {
        // In a log, a read of a few seconds leaves no lines; a long one a line every few seconds.
        readingSince ??= Date.now();
        if (Date.now() - readingSince > 5000 && Date.now() - lastPlain > 5000) {
          lastPlain = Date.now();
          io.out(text);
        }
      }
    } else if (event.type === 'log') {
      io.out(event.message);
    }
  };
}

/** The epoch's line (time, speed, the learning rate it trained at when known, validation loss) and its task table. */
export function epochTable(epoch: number, train: EpochMetrics, valid: EpochMetrics | undefined, improved: boolean, seconds: number, rate: number, learningRate?: number): string {
  const header = ['task', 'train loss', 'valid loss', 'AUC', 'GAUC', 'logloss', 'MSE'];
  const rows = Object.keys(train.tasks).map((task) => {
    const t = train.tasks[task];
    const v = valid?.tasks[task];
    return [task, fmt(t?.loss), fmt(v?.loss), fmt(v?.auc), fmt(v?.gauc), fmt(v?.logloss), fmt(v?.mse)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  return [
    `epoch ${epoch}: ${seconds.toFixed(1)} s, ${Math.round(rate)} samples/s, ${learningRate === undefined ? '' : `lr ${learningRate}, `}valid loss ${fmt(valid?.loss)}${improved ? '  (best so far)' : ''}`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

const fmt = (v: number | undefined): string => (v === undefined ? '—' : Number.isNaN(v) ? 'n/a' : v.toFixed(4));

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  return m > 0 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

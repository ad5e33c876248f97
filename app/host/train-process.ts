import { fork, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunRequest } from '../train/run';
import { openRunFolder } from '../train/run-folder';
import type { HostEvents, TrainEventBody } from './contract';
import type { ActiveRunRef } from './runs';
import { isFromWorker, type ToWorker } from './train-messages';

/**
 * How a training process is started. Web and dev mode: `node --import tsx train-worker.ts` (the
 * TypeScript source, see `sourceWorkerLaunch`). The desktop app: the bundled worker JS run by the
 * Electron binary as plain Node (ELECTRON_RUN_AS_NODE=1), which main/ passes in — the same fork,
 * the same protocol, so the path tested here is the path shipped.
 */
export interface WorkerLaunch {
  workerPath: string;
  execArgv: string[];
  /** Defaults to this process's executable. */
  execPath?: string;
  env?: Record<string, string>;
}

export function sourceWorkerLaunch(): WorkerLaunch {
  const require = createRequire(import.meta.url);
  // An absolute URL: `--import tsx` would resolve from the child's cwd, which may be any folder.
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return { workerPath: fileURLToPath(new URL('./train-worker.ts', import.meta.url)), execArgv: ['--import', tsx] };
}

interface ActiveRun {
  runId: string;
  child: ChildProcess;
  /** The request's data file and, once started, the backend: the runs list shows them. */
  data: string;
  backend?: string;
  dir?: string;
  done: boolean;
  stderr: string;
  exited: Promise<void>;
}

const STDERR_KEEP = 4000;

export class TrainProcessManager {
  private readonly runs = new Map<string, ActiveRun>();

  constructor(
    private readonly launch: WorkerLaunch,
    private readonly emit: (payload: HostEvents['train:event']) => void,
  ) {}

  start(request: RunRequest): string {
    const runId = randomUUID();
    const child = fork(this.launch.workerPath, [], {
      execArgv: this.launch.execArgv,
      ...(this.launch.execPath ? { execPath: this.launch.execPath } : {}),
      env: { ...process.env, ...this.launch.env },
      // stdout is tfjs chatter; stderr is kept (its tail explains a crash).
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let resolveExit: () => void = () => undefined;
    const run: ActiveRun = { runId, child, data: request.data, done: false, stderr: '', exited: new Promise((r) => (resolveExit = r)) };
    this.runs.set(runId, run);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (run.stderr = (run.stderr + chunk).slice(-STDERR_KEEP)));
    child.on('message', (message: unknown) => this.onMessage(run, message));
    const forget = () => {
      this.runs.delete(runId);
      resolveExit();
    };
    child.on('error', (error) => {
      this.finish(run, { type: 'crashed', message: `the training process could not run: ${error.message}`, ...(run.dir ? { dir: run.dir } : {}) });
      // A process that never started sends no 'exit'.
      if (child.pid === undefined) forget();
    });
    child.on('exit', (code, signal) => {
      this.finish(run, { type: 'crashed', message: crashMessage(code, signal, run), ...(run.dir ? { dir: run.dir } : {}) });
      forget();
    });
    this.post(run, { type: 'start', request });
    return runId;
  }

  /** Asks the run to stop after its current batch; false when no such run is training. */
  stop(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.done) return false;
    this.post(run, { type: 'stop' });
    return true;
  }

  /** Runs still training, with their folder once the worker has made it. */
  active(): ActiveRunRef[] {
    return [...this.runs.values()]
      .filter((r) => !r.done)
      .map((r) => ({ runId: r.runId, data: r.data, ...(r.dir ? { dir: r.dir } : {}), ...(r.backend ? { backend: r.backend } : {}) }));
  }

  pidOf(runId: string): number | undefined {
    return this.runs.get(runId)?.child.pid;
  }

  /** Stops every run and waits for the processes to leave (killing any still there after `graceMs`). */
  async dispose(graceMs = 5000): Promise<void> {
    const runs = [...this.runs.values()];
    for (const run of runs) this.post(run, { type: 'stop' });
    const timer = setTimeout(() => runs.forEach((r) => r.child.kill('SIGKILL')), graceMs);
    await Promise.all(runs.map((r) => r.exited));
    clearTimeout(timer);
  }

  private onMessage(run: ActiveRun, message: unknown): void {
    if (!isFromWorker(message) || run.done) return;
    if (message.type === 'event') {
      if (message.event.type === 'started') {
        run.dir = message.event.dir;
        run.backend = message.event.backend;
      }
      this.emit({ runId: run.runId, event: message.event });
    } else if (message.type === 'finished') {
      this.finish(run, { type: 'finished', summary: message.summary });
    } else {
      const dir = message.dir ?? run.dir;
      this.finish(run, { type: 'failed', message: message.message, ...(dir ? { dir } : {}) });
    }
  }

  /**
   * The one terminal event of a run; later ones (the exit after `finished`) are dropped. A run that
   * ends without summary.json says why in its log, so the runs list tells a failure ("failed: …")
   * from a process that was stopped from outside ("stopped: …", an incomplete run).
   */
  private finish(run: ActiveRun, event: Extract<TrainEventBody, { type: 'finished' | 'failed' | 'crashed' }>): void {
    if (run.done) return;
    run.done = true;
    this.emit({ runId: run.runId, event });
    if (run.dir && event.type !== 'finished') {
      const { dir } = run;
      const line = event.type === 'failed' ? `failed: ${event.message}` : `stopped: ${event.message}`;
      // Noted after the fact and best effort: the event has been sent; a diverged run has its summary already.
      void stat(join(dir, 'summary.json')).then(
        () => undefined,
        () => openRunFolder(dir).log(line).catch(() => undefined),
      );
    }
  }

  private post(run: ActiveRun, message: ToWorker): void {
    // A child that just died answers EPIPE; its exit handler reports the crash, so the error is dropped here.
    if (run.child.connected) run.child.send(message, () => undefined);
  }
}

function crashMessage(code: number | null, signal: NodeJS.Signals | null, run: ActiveRun): string {
  const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
  const lastLine = run.stderr.trim().split('\n').at(-1);
  const kept = run.dir ? `; ${run.dir} keeps what was written before` : '';
  return `the training process ${how} before the run finished${lastLine ? ` (${lastLine.trim()})` : ''}${kept}`;
}

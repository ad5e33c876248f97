import { randomUUID } from 'node:crypto';
import { hostError, type HostError, type HostEvents, type TrainerJob, type TrainEventBody } from './contract';
import type { ActiveRunRef } from './runs';

/**
 * Engine "browser" in the desktop app: train:start opens a hidden trainer window (the launcher,
 * from main/), which asks for its job (trainer:job), trains it between train:prepare and
 * train:complete like a web-mode tab does, and reports as it goes (train:report). The host relays
 * all of it to the app window as train:events of the job, so to the app window a GPU run looks
 * like a Node run: one train:start, a stream of events, stop by train:stop.
 *
 * A job ends with its last event (finished, failed, crashed); its trainer window is then closed.
 */
export interface TrainerLauncher {
  /** Opens a hidden trainer window for the job; a message when it cannot. */
  open(job: string): Promise<string | undefined>;
  /** Closes the job's window (it finished, or the user stopped it and it will not answer). */
  close(job: string): void;
}

type TrainerRequest = TrainerJob['request'];

interface Job {
  job: string;
  request: TrainerRequest;
  browserBackend: TrainerJob['browserBackend'];
  /** The trainer window's client id, once it asked for the job: only it may prepare the job's run. */
  owner?: string;
  dir?: string;
}

type Relay = (payload: HostEvents['train:event']) => void;

export class TrainerJobs {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly launcher: TrainerLauncher,
    private readonly relay: Relay,
    private readonly askToStop: (job: string) => void,
  ) {}

  async start(request: TrainerRequest, browserBackend: Job['browserBackend']): Promise<{ runId: string } | HostError> {
    const job = randomUUID();
    this.jobs.set(job, { job, request: { ...request, job }, browserBackend });
    const refused = await this.launcher.open(job).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    if (refused !== undefined) {
      this.jobs.delete(job);
      return hostError('E_TRAINER_WINDOW', `the hidden window that trains on the GPU did not open: ${refused}`);
    }
    return { runId: job };
  }

  /** What the trainer window asks first; the job is then that window's. */
  take(job: string, client: string | undefined): TrainerJob | HostError {
    const found = this.jobs.get(job);
    if (!found) return hostError('E_RUN_NOT_ACTIVE', `no training job ${job} (it ended, or this host did not start it)`);
    if (found.owner !== undefined && found.owner !== client) return hostError('E_TRAINER_WINDOW', `job ${job} is already trained by another window`);
    if (client !== undefined) found.owner = client;
    return { job, request: found.request, browserBackend: found.browserBackend };
  }

  /** Whether `client` may prepare a run for `job` (the window that took it). */
  mayPrepare(job: string, client: string | undefined): HostError | undefined {
    const found = this.jobs.get(job);
    if (!found) return hostError('E_RUN_NOT_ACTIVE', `no training job ${job} (it ended, or this host did not start it)`);
    if (found.owner === undefined || found.owner !== client) return hostError('E_TRAINER_WINDOW', `job ${job} belongs to another window; ask for it with trainer:job first`);
    return undefined;
  }

  /** Relays one event of the job to the app window; the last one ends the job and closes its window. */
  event(job: string, event: TrainEventBody): void {
    const found = this.jobs.get(job);
    if (!found) return;
    if (event.type === 'started') found.dir = event.dir;
    this.relay({ runId: job, event });
    if (event.type === 'finished' || event.type === 'failed' || event.type === 'crashed') {
      this.jobs.delete(job);
      this.launcher.close(job);
    }
  }

  stop(job: string): boolean {
    if (!this.jobs.has(job)) return false;
    this.askToStop(job);
    return true;
  }

  /** The trainer window of these jobs went away before their runs were prepared or completed. */
  windowGone(client: string, why: string): void {
    for (const found of [...this.jobs.values()].filter((j) => j.owner === client)) {
      this.event(found.job, { type: 'crashed', message: `${why}; the epochs it reported are kept in the run folder`, ...(found.dir !== undefined ? { dir: found.dir } : {}) });
    }
  }

  /** Jobs whose run folder does not exist yet count as running too (their window is starting). */
  active(): ActiveRunRef[] {
    return [...this.jobs.values()].map((j) => ({ runId: j.job, ...(j.dir !== undefined ? { dir: j.dir } : {}) }));
  }

  /** Stops every job's window (the app is quitting). */
  dispose(): void {
    for (const job of this.jobs.keys()) this.launcher.close(job);
    this.jobs.clear();
  }
}

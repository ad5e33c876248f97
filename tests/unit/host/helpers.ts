import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { GraphDocumentInput } from '../../../app/graph/schema';
import type { HostChannel, HostEventName, HostEvents, HostRequest, HostResponses, HostResult, TrainEventBody } from '../../../app/host/contract';
import { createHostHandlers, type Host, type HostOptions } from '../../../app/host/handlers';

/** Shared set-up of the host tests: a temp workspace with real files, and a host over it. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CENSUS_FIXTURE = join(REPO, 'tests/fixtures/data/census-income-test-head20.csv');
const CENSUS_FULL = join(REPO, '../shared/data/census-income-kdd/census-income.test.gz');

export const readJson = (path: string): unknown => JSON.parse(readFileSync(join(REPO, path), 'utf8'));
export const template = (id: string): GraphDocumentInput => readJson(`templates/${id}.json`) as GraphDocumentInput;
export const censusBinding = (): Record<string, unknown> => readJson('examples/census-income.binding.json') as Record<string, unknown>;

export async function makeWorkspace(prefix = 'towerflow-host-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A census slice in the workspace: the first `rows` lines of the UCI test file where ../shared has
 * it, else the 20-row fixture (CI without shared data still runs every test, on fewer rows).
 */
export async function writeCensus(dir: string, name = 'census.csv', rows = 2000): Promise<string> {
  const path = join(dir, name);
  if (existsSync(CENSUS_FULL)) {
    const lines = gunzipSync(await readFile(CENSUS_FULL)).toString('utf8').split('\n').slice(0, rows);
    await writeFile(path, `${lines.join('\n')}\n`);
  } else {
    await writeFile(path, await readFile(CENSUS_FIXTURE));
  }
  return path;
}

/** A small DIN data set (user, candidate, history, label) from a seeded generator. */
export async function writeDinData(dir: string, rows = 400): Promise<string> {
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const lines = ['user,candidate,history,label'];
  for (let i = 0; i < rows; i++) {
    const length = 1 + Math.floor(next() * 30);
    const history = Array.from({ length }, () => 1 + Math.floor(next() * 300));
    lines.push(`${1 + Math.floor(next() * 50)},${1 + Math.floor(next() * 300)},${history.join('|')},${next() < 0.5 ? 1 : 0}`);
  }
  const path = join(dir, 'din.csv');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

export async function webHost(dir: string, extra: Partial<HostOptions> = {}): Promise<Host> {
  await mkdir(dir, { recursive: true });
  return createHostHandlers({ mode: 'web', workspace: dir, dataDir: join(dir, '.towerflow-recovery'), log: () => undefined, ...extra });
}

/** Records every train event by run id, so a test can start a run and then wait for its end. */
export function recordRuns(host: Host) {
  const byRun = new Map<string, TrainEventBody[]>();
  const waiters: (() => void)[] = [];
  host.events.subscribe(<N extends HostEventName>(name: N, payload: HostEvents[N]) => {
    if (name !== 'train:event') return;
    const { runId, event } = payload as HostEvents['train:event'];
    byRun.set(runId, [...(byRun.get(runId) ?? []), event]);
    waiters.splice(0).forEach((w) => w());
  });
  const events = (runId: string) => byRun.get(runId) ?? [];
  /** Resolves with the run's events once `until` holds for them. */
  const waitFor = (runId: string, until: (events: TrainEventBody[]) => boolean, timeoutMs = 50_000): Promise<TrainEventBody[]> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId}: timed out; events so far: ${events(runId).map((e) => e.type).join(', ')}`)), timeoutMs);
      const check = () => {
        if (until(events(runId))) {
          clearTimeout(timer);
          resolve(events(runId));
        } else waiters.push(check);
      };
      check();
    });
  const terminal = (e: TrainEventBody) => e.type === 'finished' || e.type === 'failed' || e.type === 'crashed';
  return { events, waitFor, waitForEnd: (runId: string) => waitFor(runId, (list) => list.some(terminal)) };
}

/** Narrows a host answer that must not be an error, failing with the error's text if it is. */
export function ok<T>(value: T): Exclude<T, { error: unknown }> {
  if (typeof value === 'object' && value !== null && 'error' in value) throw new Error(`host error: ${JSON.stringify(value)}`);
  return value as Exclude<T, { error: unknown }>;
}

export function errorCode(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'error' in value ? (value as { error: { code: string } }).error.code : undefined;
}

/** host.call with the contract's types: the request is validated exactly as IPC and HTTP do. */
export const call = <C extends HostChannel>(host: Host, channel: C, request: HostRequest<C>): Promise<HostResult<HostResponses[C]>> =>
  host.call(channel, request) as Promise<HostResult<HostResponses[C]>>;

/** Narrows an answer that may be a cancelled dialog (web mode never cancels). */
export function uncancelled<T>(value: T): Exclude<T, { cancelled: true }> {
  if (typeof value === 'object' && value !== null && 'cancelled' in value) throw new Error('unexpected cancelled dialog');
  return value as Exclude<T, { cancelled: true }>;
}

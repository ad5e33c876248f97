import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Graph } from '../graph/schema';
import type { NodeBackendName } from '../engine/backend';
import type { EncodedSplit } from './encoded';
import type { Replicas, ShardBatch, ShardResult } from './replicas';

/** What a replica is started with: enough to compile the same model as the main thread. */
export interface ReplicaJob {
  graph: Graph;
  seed?: number;
  backend: NodeBackendName;
  lossWeights?: Record<string, number>;
}

/**
 * Main → replica, one per step: the shard (its row numbers, or its gathered values), the weights'
 * shared buffer the first time, and a shared split the first time a shard refers to it.
 */
export interface StepMessage {
  weights?: SharedArrayBuffer;
  split?: { id: number; split: EncodedSplit };
  shard: { rows: number; scale: number } & ({ splitId: number; indices: Int32Array } | { xs: (Int32Array | Float32Array)[]; ys: Float32Array[] });
}

export type ReplicaReply = { type: 'ready'; sizes: number[] } | { type: 'result'; result: ShardResult } | { type: 'error'; message: string };

/** A replica stopped answering during training: the run ends with its reason (run.ts), not a crash. */
export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}

/** The backends a replica can run: the CPU ones (a GPU backend already runs in parallel on its device). */
export const REPLICA_BACKENDS: readonly NodeBackendName[] = ['wasm', 'cpu'];

/**
 * Worker threads that compute shards of each step (replicas.ts). The weights go to them through one
 * SharedArrayBuffer, written here before each step; the shards and the answers are posted
 * (transferred, not copied).
 */
export class ReplicaPool implements Replicas {
  private shared: SharedArrayBuffer | undefined;
  private sent = new Set<Worker>();
  private splitIds = new WeakMap<EncodedSplit, number>();
  private nextSplitId = 1;
  /** The split each replica holds (one at a time: a new one replaces it). */
  private heldSplit = new Map<Worker, number>();
  private failure: string | undefined;
  /** The answer each replica is awaited for. */
  private readonly waiting = new Map<Worker, (reply: ReplicaReply) => void>();
  /** Why a replica can no longer answer (it exited or threw). */
  private readonly gone = new Map<Worker, string>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: ReplicaReply) => this.waiting.get(worker)?.(reply));
      // Without a listener a worker's error would end this process.
      worker.on('error', (error: Error) => this.lost(worker, error.message));
      worker.on('exit', (code: number) => this.lost(worker, `the thread exited (code ${code})`));
    }
  }

  private lost(worker: Worker, why: string): void {
    if (!this.gone.has(worker)) this.gone.set(worker, why);
    this.waiting.get(worker)?.({ type: 'error', message: why });
  }

  private answer(worker: Worker): Promise<ReplicaReply> {
    const why = this.gone.get(worker);
    if (why !== undefined) return Promise.resolve({ type: 'error', message: why });
    return new Promise((resolve) =>
      this.waiting.set(worker, (reply) => {
        this.waiting.delete(worker);
        resolve(reply);
      }),
    );
  }

  get count(): number {
    return this.workers.length;
  }

  /**
   * Starts `count` replicas and waits until each has compiled the model; an error message (the
   * caller trains on one thread and says why) when one cannot start or its weights differ in size.
   */
  static async start(job: ReplicaJob, count: number, expectedSizes: readonly number[], script: URL = replicaWorkerScript()): Promise<ReplicaPool | { error: string }> {
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < count; i++) workers.push(new Worker(script, { workerData: job }));
      const replies = await Promise.all(workers.map((worker) => firstReply(worker)));
      for (const reply of replies) {
        if (reply.type === 'error') throw new Error(reply.message.split('\n')[0]);
        if (reply.type === 'ready' && reply.sizes.join(',') !== expectedSizes.join(',')) throw new Error(`a replica built weights of sizes ${reply.sizes.join(',')}, this thread ${expectedSizes.join(',')}`);
      }
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      return { error: String((error as Error)?.message ?? error) };
    }
    // Waiting replicas must not keep a finished command's process alive.
    for (const worker of workers) worker.unref();
    return new ReplicaPool(workers);
  }

  async step(weights: Float32Array, shards: readonly ShardBatch[]): Promise<(ShardResult | undefined)[]> {
    if (this.failure) throw new ReplicaError(this.failure);
    if (!this.shared || this.shared.byteLength !== weights.byteLength) {
      this.shared = new SharedArrayBuffer(weights.byteLength);
      this.sent.clear();
    }
    new Float32Array(this.shared).set(weights);
    return Promise.all(
      this.workers.map(async (worker, i) => {
        const shard = shards[i];
        if (!shard || shard.rows === 0) return undefined;
        const first = !this.sent.has(worker);
        this.sent.add(worker);
        const answer = this.answer(worker);
        const weights = first ? { weights: this.shared as SharedArrayBuffer } : {};
        if ('split' in shard) {
          const id = this.splitId(shard.split);
          const held = this.heldSplit.get(worker) === id;
          this.heldSplit.set(worker, id);
          const { rows, inputs, labels, packedIds } = shard.split;
          const message: StepMessage = { ...weights, ...(held ? {} : { split: { id, split: { rows, inputs, labels, ...(packedIds ? { packedIds } : {}) } } }), shard: { rows: shard.rows, scale: shard.scale, splitId: id, indices: shard.indices } };
          worker.postMessage(message, [shard.indices.buffer as ArrayBuffer]);
        } else {
          const message: StepMessage = { ...weights, shard };
          worker.postMessage(message, [...shard.xs.map((x) => x.buffer as ArrayBuffer), ...shard.ys.map((y) => y.buffer as ArrayBuffer)]);
        }
        const reply = await answer;
        if (reply.type === 'result') return reply.result;
        this.failure = `training thread ${i + 2} failed: ${reply.type === 'error' ? reply.message.split('\n')[0] : 'an unexpected answer'}`;
        throw new ReplicaError(this.failure);
      }),
    );
  }

  private splitId(split: EncodedSplit): number {
    let id = this.splitIds.get(split);
    if (id === undefined) this.splitIds.set(split, (id = this.nextSplitId++));
    return id;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker's next message, or its error or exit as an error reply. */
function firstReply(worker: Worker): Promise<ReplicaReply> {
  return new Promise((resolve) => {
    const done = (reply: ReplicaReply) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(reply);
    };
    const onMessage = (reply: ReplicaReply) => done(reply);
    const onError = (error: Error) => done({ type: 'error', message: error.message });
    const onExit = (code: number) => done({ type: 'error', message: `the thread exited (code ${code})` });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * Where the worker's code is: from the sources (CLI, web mode, tests) its tsx boot file; in the
 * desktop bundle out/main/replica-worker.js (electron.vite.config.ts), one folder up from the chunk
 * this code is inlined into, or beside it.
 */
export function replicaWorkerScript(here: string = import.meta.url): URL {
  const source = new URL('./replica-worker-boot.mjs', here);
  if (existsSync(source)) return source;
  return [new URL('../replica-worker.js', here), new URL('./replica-worker.js', here)].find((bundled) => existsSync(bundled)) ?? source;
}

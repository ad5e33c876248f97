import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import { firstLine } from './initialise';

/**
 * tfjs-backend-wasm's threaded build (XNNPACK's thread pool: matMul, and the few other kernels
 * XNNPACK runs) in Node. Out of the box it cannot start there, for three reasons, each lifted here
 * for the moment the backend initialises and undone after:
 *
 * 1. Its Emscripten pthread workers are created from a `blob:` URL of the worker source, and
 *    Node's worker_threads accepts only file paths. Blobs made of strings are remembered as they are
 *    made, and createObjectURL writes one to a file in a temporary folder and returns its path.
 * 2. Each worker then evaluates the module factory, which tfjs hands it as another blob: the
 *    factory's text taken out of the rollup bundle, which reads the bundle's imports by rollup's
 *    names and so cannot run alone. The worker file is told to load the package's own copy of the
 *    same Emscripten output instead (wasm-out/tfjs-backend-wasm-threaded-simd.js, plain requires).
 * 3. The pool is capped at logical cores / 2 (tfjs assumes two hyperthreads per core), which is one
 *    thread on a 2-vCPU machine; os.cpus() reports each core twice while the module starts.
 *
 * XNNPACK splits a matMul by output tiles, never along the summed dimension, so each output is
 * summed in the same order whatever the thread count: results are bit-identical to one thread
 * (tests/unit/engine/wasm-threads.test.ts trains with 1 and 2 threads and compares the weights).
 *
 * Only one wasm module is made per process: the thread count is fixed by the first start.
 */
let requestedThreads = 1;
let startedThreads: number | undefined;
/** Why the threads asked for did not start, when the backend fell back to one thread. */
let fallbackWhy: string | undefined;
/** The Emscripten module each pool worker loads; replaceable so tests can make the threaded start fail. */
let workerModule: string | undefined;

/**
 * Threads for the wasm backend's pool, from the next start on (1: the single-threaded SIMD build).
 * `workerModule`: the file each pool worker evaluates instead of the package's threaded module
 * (tests point it at a broken file to check the fallback to one thread).
 */
export function setWasmThreads(threads: number, options: { workerModule?: string } = {}): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`wasm threads: expected a positive integer, got ${threads}`);
  requestedThreads = threads;
  workerModule = options.workerModule;
}

/** What the wasm backend runs with once started: its pool size (1 before it starts or without threads). */
export function wasmThreads(): number {
  return startedThreads ?? 1;
}

/**
 * The thread words of the backend line: "2 threads", "1 thread: 2 threads could not start: …" after
 * a fallback, or undefined for a plain single-threaded start (nothing was asked, nothing to say).
 */
export function describeWasmThreads(): string | undefined {
  if (fallbackWhy !== undefined) return `1 thread: ${requestedThreads} threads could not start: ${fallbackWhy}`;
  return wasmThreads() > 1 ? `${wasmThreads()} threads` : undefined;
}

/**
 * How long the threaded start may take before it counts as failed: a pool worker that dies while
 * loading never reports, and Emscripten would wait for it for ever. Starting takes well under a
 * second on an idle machine; the margin is for a loaded one.
 */
const THREADED_START_LIMIT_MS = 60_000;

/** The default for this machine: every core but one, which stays free for the window and the OS. */
export function defaultWasmThreads(cores = os.availableParallelism?.() ?? os.cpus().length): number {
  return Math.max(1, cores - 1);
}

interface WasmModuleControls {
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/**
 * Starts tfjs's wasm backend with the requested threads. `initialise` selects it (tf.setBackend);
 * the shims are in place only during that call.
 */
export async function startWasm(wasm: WasmModuleControls, initialise: () => Promise<true | string>): Promise<true | string> {
  const threads = requestedThreads;
  if (threads === 1 || startedThreads !== undefined) {
    const started = await initialise();
    if (started === true) startedThreads ??= 1;
    return started;
  }
  const threaded = await startThreaded(wasm, initialise, threads);
  if (threaded === true) return true;
  // A failed threaded start leaves tfjs free to run the backend's factory again: one thread it is.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  const single = await initialise();
  if (single === true) {
    startedThreads = 1;
    fallbackWhy = threaded;
  }
  return single;
}

/** The threaded start: true, or why it failed (never a throw, never a crash of the process). */
async function startThreaded(wasm: WasmModuleControls, initialise: () => Promise<true | string>, threads: number): Promise<true | string> {
  const pool = guardPoolWorkers();
  let undoShims: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    undoShims = installNodeWorkerShims(threads, workerModule ?? threadedFactoryFile());
    // A pool worker that dies while loading never reports, and Emscripten would wait for it for ever.
    const failed = new Promise<string>((resolve) => {
      poll = setInterval(() => pool.errors[0] !== undefined && resolve(`a pool worker failed (${pool.errors[0]})`), 50);
      timer = setTimeout(() => resolve(`the worker pool gave no answer in ${THREADED_START_LIMIT_MS / 1000} s`), THREADED_START_LIMIT_MS);
    });
    const started = await Promise.race([initialise(), failed]);
    if (started !== true) {
      pool.terminate();
      return started;
    }
    startedThreads = wasm.getThreadsCount();
    unrefWorkers();
    return true;
  } catch (error) {
    pool.terminate();
    return firstLine(error);
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    undoShims?.();
    pool.stopGuarding();
  }
}

/**
 * While the pool starts, its workers' errors are kept instead of thrown: Emscripten's handler
 * rethrows a worker's error on the main thread, and its own uncaughtException listener then ends the
 * process. Workers made in that time are remembered so a failed start can stop them (they would
 * otherwise keep the process alive). Once started, errors are thrown as Emscripten meant.
 */
function guardPoolWorkers(): { errors: string[]; terminate(): void; stopGuarding(): void } {
  const errors: string[] = [];
  const made: NodeWorker[] = [];
  let guarding = true;
  // Workers of a failed start are being terminated; their late errors (another worker failing the
  // same way after the start gave up) must not be thrown once guarding stops.
  let abandoned = false;
  const workerThreads = workerThreadsModule();
  const OriginalWorker = workerThreads.Worker;
  class GuardedWorker extends OriginalWorker {
    constructor(...args: ConstructorParameters<typeof OriginalWorker>) {
      super(...args);
      made.push(this);
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the listener type of Node's own EventEmitter.on, which this overrides
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      if (event !== 'error') return super.on(event, listener);
      return super.on(event, (...args: unknown[]) => {
        try {
          listener(...args);
        } catch (thrown) {
          if (!guarding && !abandoned) throw thrown;
          errors.push(firstLine(thrown));
        }
      });
    }
  }
  workerThreads.Worker = GuardedWorker;
  return {
    errors,
    terminate: () => {
      abandoned = true;
      made.forEach((worker) => void worker.terminate());
    },
    stopGuarding: () => {
      guarding = false;
      workerThreads.Worker = OriginalWorker;
    },
  };
}

/** node:worker_threads as Emscripten's `require` sees it (a CommonJS object whose Worker can be replaced). */
function workerThreadsModule(): { Worker: typeof NodeWorker } {
  return createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof NodeWorker };
}

/** The part of the Emscripten module that holds its pthread workers (worker_threads.Worker in Node). */
interface EmscriptenThreads {
  PThread?: { unusedWorkers: { unref(): void }[]; runningWorkers: { unref(): void }[] };
}

/**
 * The pool's threads wait for work for the life of the process, and a referenced worker keeps Node
 * from exiting when the command is done; the threads compute the same while unreferenced.
 */
function unrefWorkers(): void {
  const backend = tf.findBackend('wasm') as (tf.KernelBackend & { wasm?: EmscriptenThreads }) | null;
  const threads = backend?.wasm?.PThread;
  for (const worker of [...(threads?.unusedWorkers ?? []), ...(threads?.runningWorkers ?? [])]) worker.unref();
}

/** The threaded Emscripten module as the package ships it, for the workers to evaluate. */
function threadedFactoryFile(): string {
  return createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
}

function installNodeWorkerShims(threads: number, moduleFile: string): () => void {
  const folder = mkdtempSync(join(os.tmpdir(), 'towerflow-wasm-threads-'));
  // Workers read their files while they start, after this call returns; the folder goes at exit.
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
  const texts = new WeakMap<Blob, string>();
  // Copied out of node_modules: inside the desktop app's asar archive only the main thread's fs can read it.
  const factoryFile = join(folder, 'factory.cjs');
  writeFileSync(factoryFile, readFileSync(moduleFile));
  let written = 0;
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  const originalRevoke = URL.revokeObjectURL;
  const originalCpus = os.cpus;
  class RememberedBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const [parts] = args;
      if (!parts?.every((p) => typeof p === 'string')) return;
      texts.set(this, (parts as string[]).join(''));
    }
  }
  globalThis.Blob = RememberedBlob;
  URL.createObjectURL = (blob: Blob) => {
    const text = texts.get(blob);
    if (text === undefined) return originalCreate(blob);
    const file = join(folder, `worker-${written++}.cjs`);
    // A worker turns the factory blob it is sent into a URL of its own; it gets the factory's path instead.
    const inWorker = `URL.createObjectURL=()=>${JSON.stringify(factoryFile)};URL.revokeObjectURL=()=>{};`;
    writeFileSync(file, text.replace('"use strict";', `"use strict";${inWorker}`));
    return file;
  };
  URL.revokeObjectURL = (url: string) => {
    if (!url.startsWith(folder)) originalRevoke(url);
  };
  os.cpus = () => {
    const cores = originalCpus();
    return Array.from({ length: 2 * Math.max(threads, cores.length) }, (_, i) => cores[i % cores.length] as os.CpuInfo);
  };
  return () => {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    URL.revokeObjectURL = originalRevoke;
    os.cpus = originalCpus;
  };
}

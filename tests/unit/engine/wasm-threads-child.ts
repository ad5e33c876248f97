/**
 * One training run on the wasm backend with the thread count given as the first argument, in a
 * process of its own (the wasm module is made once per process, so its thread count cannot change
 * within one). Prints one JSON line: the backend line, the pool's thread count, the final loss and a
 * SHA-256 of every weight's bytes, for tests/unit/engine/wasm-threads.test.ts to compare across
 * thread counts. A second argument replaces the module the pool's workers load (a broken one forces
 * the fallback to one thread).
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { chooseBackend, describeChoice } from '../../../app/engine/backend';
import { setWasmThreads, wasmThreads } from '../../../app/engine/wasm-threads';
import { trainModel } from '../../../app/train/session';
import { compileTemplate, templateGraph, templateSplit } from '../../../bench/template-data';

tf.env().set('PROD', true);
setWasmThreads(Number(process.argv[2]), process.argv[3] ? { workerModule: process.argv[3] } : {});
const choice = await chooseBackend('wasm');
if ('error' in choice) throw new Error(choice.error);
const graph = templateGraph('mmoe');
const compiled = compileTemplate(graph, 11);
// Batch 1,024 over 4,096 rows: matMuls large enough for XNNPACK to split them across the threads.
const split = templateSplit(graph, compiled, 4096, 12);
const result = await trainModel(compiled.model, compiled, { train: split }, { optimizer: 'adam', learningRate: 0.01, batchSize: 1024, epochs: 2, seed: 13 });
const hash = createHash('sha256');
for (const weight of compiled.model.getWeights()) hash.update(new Uint8Array((weight.dataSync() as Float32Array).slice().buffer));
console.log(JSON.stringify({ backend: tf.getBackend(), line: describeChoice(choice), threads: wasmThreads(), loss: result.history.at(-1)?.train.loss, weights: hash.digest('hex') }));
process.exit(0);

/**
 * `npx tsx bench/profile-step.ts [--backend=wasm] [--batch=512] [--steps=20] [--template=din] [--shapes]`: where
 * one training step of the compiled census MMoE (or of another template, on bench/template-data.ts's
 * arrays) goes — kernels per step, and kernel time by kernel name
 * (tf.profile), next to the step's wall time. The figures behind the choices in app/engine/.
 */
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, parseBackendName } from '../app/engine/backend';
import { trainModel } from '../app/train/session';
import { censusColumns, splitFor } from './census-data';
import { compiledMmoe } from './models';
import { compileTemplate, templateGraph, templateSplit, TEMPLATES, type TemplateName } from './template-data';
import { headOf } from './training';

tf.env().set('PROD', true);
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const backend = parseBackendName(arg('backend', 'wasm')) ?? 'wasm';
const batchSize = Number(arg('batch', '512'));
const steps = Number(arg('steps', '20'));

const choice = await chooseBackend(backend);
if ('error' in choice) throw new Error(choice.error);
const template = process.argv.find((a) => a.startsWith('--template='))?.split('=')[1];
if (template !== undefined && !(TEMPLATES as readonly string[]).includes(template)) throw new Error(`--template: one of ${TEMPLATES.join(', ')}`);
const { entry, split } = (() => {
  if (template === undefined) {
    const mmoe = compiledMmoe(7);
    return { entry: mmoe, split: splitFor(censusColumns(batchSize * steps, 7), mmoe) };
  }
  const graph = templateGraph(template as TemplateName);
  const compiled = compileTemplate(graph, 7);
  return { entry: compiled, split: templateSplit(graph, compiled, batchSize * steps, 7) };
})();
const options = { optimizer: 'adam' as const, learningRate: 0.001, batchSize, seed: 1, epochs: 1, progressIntervalMs: 60_000 };
await trainModel(entry.model, entry, { train: headOf(split, batchSize * 2) }, options);
const started = performance.now();
const cpu = process.cpuUsage();
const result = await trainModel(entry.model, entry, { train: split }, options);
const wall = performance.now() - started;
const used = process.cpuUsage(cpu);
// CPU time moves less than wall time when other processes share the cores.
const cpuMs = (used.user + used.system) / 1000;
const profile = await tf.profile(async () => void (await trainModel(entry.model, entry, { train: split }, options)));
const byName = new Map<string, { count: number; ms: number }>();
for (const k of profile.kernels) {
  const entryOf = byName.get(k.name) ?? { count: 0, ms: 0 };
  entryOf.count++;
  entryOf.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  byName.set(k.name, entryOf);
}
const kernelMs = [...byName.values()].reduce((a, b) => a + b.ms, 0);
console.log(`${template ?? 'census MMoE'} on ${backend}, batch ${batchSize}: ${(wall / steps).toFixed(1)} ms/step (${(cpuMs / steps).toFixed(1)} ms CPU), ${Math.round(result.samplesPerSecond)} samples/s; ` +
  `${Math.round(profile.kernels.length / steps)} kernels/step, kernel time ${(kernelMs / steps).toFixed(1)} ms/step`);
for (const [name, v] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`  ${name.padEnd(24)} ${(v.count / steps).toFixed(1).padStart(7)}/step ${(v.ms / steps).toFixed(2).padStart(8)} ms/step`);
}
// --shapes: the same split by kernel and input shapes, to tell which layer's product is the slow one.
if (process.argv.includes('--shapes')) {
  const byShape = new Map<string, { count: number; ms: number }>();
  for (const k of profile.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s?.join(',') ?? ''}]`).join(' ')}`;
    const entryOf = byShape.get(key) ?? { count: 0, ms: 0 };
    entryOf.count++;
    entryOf.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byShape.set(key, entryOf);
  }
  console.log('by kernel and input shapes:');
  for (const [key, v] of [...byShape.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) {
    console.log(`  ${(v.count / steps).toFixed(1).padStart(5)}/step ${(v.ms / steps).toFixed(2).padStart(7)} ms/step  ${key}`);
  }
}

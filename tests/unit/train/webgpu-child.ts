/**
 * Run by webgpu-node.test.ts in a child process (Dawn finds its Vulkan loader and SwiftShader only
 * through the environment the process starts with): trains each template asked for a few steps on
 * one backend and prints one JSON line — the backend choice, and per template the running loss at
 * every step, the trained model's predictions on the first rows, and the tensors training left behind.
 *
 *   node --import tsx tests/unit/train/webgpu-child.ts <webgpu|cpu|default> <data.json> [template …]
 *
 * data.json: { "<template>": { "file": path, "binding": example name, "batchSize": n } }.
 * `default`: only the backend choice nobody forced.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { chooseBackend, describeChoice, parseBackendName, releaseBackend } from '../../../app/engine/backend';
import { predictSplitAsync, trainModel } from '../../../app/train/session';
import { compile, exampleBinding, prepare, template } from './helpers';

tf.env().set('PROD', true);
const [mode = 'default', dataFile, ...templates] = process.argv.slice(2);
const choice = await chooseBackend(mode === 'default' ? undefined : parseBackendName(mode));
if ('error' in choice) {
  console.log(JSON.stringify({ error: choice.error }));
  process.exit(0);
}
const out: { backend: string; note: string; adapter?: unknown; templates: Record<string, { losses: number[][]; predictions: number[][]; leaked: number }> } = {
  backend: choice.name,
  note: describeChoice(choice),
  ...(choice.adapter ? { adapter: choice.adapter } : {}),
  templates: {},
};
const data = dataFile ? (JSON.parse(readFileSync(dataFile, 'utf8')) as Record<string, { file: string; binding: string; batchSize: number }>) : {};
for (const name of mode === 'default' ? [] : templates) {
  const spec = data[name];
  if (!spec) throw new Error(`test bug: no data for ${name}`);
  const compiled = compile(template(name), 11);
  const prepared = await prepare(compiled, exampleBinding(spec.binding), { train: spec.file }, { validation: 0, seed: 1 });
  const losses: number[][] = [];
  const tensorsBefore = tf.memory().numTensors;
  await trainModel(compiled.model, compiled, { train: prepared.train }, { optimizer: 'adam', learningRate: 0.001, batchSize: spec.batchSize, epochs: 1, seed: 3, progressIntervalMs: 0 }, {
    onEvent: (e) => void (e.type === 'progress' && losses.push([e.loss, ...Object.values(e.taskLoss)])),
  });
  const leaked = tf.memory().numTensors - tensorsBefore;
  const head = { ...prepared.train, rows: Math.min(64, prepared.train.rows) };
  const predictions = (await predictSplitAsync(compiled.model, compiled.inputs, head, 64)).map((p) => Array.from(p.subarray(0, head.rows)));
  out.templates[name] = { losses, predictions, leaked };
  compiled.model.dispose();
}
releaseBackend();
console.log(JSON.stringify(out));

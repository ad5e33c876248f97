import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { compileGraph } from '../../../app/compile/to-tfjs';
import { fileSaveHandler } from '../../../app/train/model-files';
import { randomizeWeights } from '../../helpers/plain';
import { parametricGraph } from './parametric-support';
import { exportPackage, pythonEnv, run, runPython } from './python-support';
import { scratchDir } from './support';

/**
 * The PyTorch export of PReLU and Dice (nn.PReLU(units, init=0.0) and model.py's Dice helper, in
 * MLPs, towers and the DIN unit): random tfjs weights, α and moving statistics included, load into
 * the generated module, which then predicts what tfjs predicts in inference mode; and, in a training
 * call on the same batch, computes the same outputs from the batch's statistics and moves Dice's
 * running statistics as tfjs moves its moving ones. Skipped with the reason where there is no
 * project-local Python (scripts/python-env.sh).
 */
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the PyTorch PReLU/Dice tests: ${env.reason ?? 'no Python environment'}`);
const PYTHON = env.python ?? 'python3';
const BIN = path.dirname(PYTHON);
const tmp = scratchDir('towerflow-torch-parametric-');
afterAll(() => tmp.remove());

/** The tfjs weights whose PyTorch twins the training call moves as tfjs does: Dice's statistics (batch norm's running variance is unbiased in torch). */
const DICE_STATISTIC = /(_act_\d+\/moving_(mean|variance)|_unit\/moving_(mean|variance)_\d+)$/;

const SCRIPT = [
  'import json',
  'import re',
  'import numpy as np',
  'import torch',
  'from model import TFJS_WEIGHTS, Model, load_tfjs_weights',
  'case = json.load(open("case.json"))',
  'model = Model()',
  'load_tfjs_weights(model, "model")',
  'batch = {f["name"]: torch.tensor(np.array(f["values"]).reshape(f["shape"]), dtype=torch.int64 if f["dtype"] == "int32" else torch.float32) for f in case["feed"]}',
  'def delta(out, expected):',
  '    assert list(out) == list(expected), (list(out), list(expected))',
  '    return max(float(np.abs(out[k].detach().reshape(-1).numpy() - np.array(v)).max()) for k, v in expected.items())',
  'model.eval()',
  'with torch.no_grad():',
  '    inference = delta(model(batch), case["inference"])',
  'model.train()',
  'training = delta(model(batch), case["training"])',
  'state = model.state_dict()',
  'stats = [name for name in TFJS_WEIGHTS if re.search(case["statistic"], name)]',
  'moved = max(float(np.abs(state[TFJS_WEIGHTS[name][0]].numpy() - np.array(case["after"][name])).max()) for name in stats)',
  'print(json.dumps({"inference": inference, "training": training, "statistics": len(stats), "moved": moved}))',
].join('\n');

describe.skipIf(!env.python)('PyTorch export: PReLU and Dice', () => {
  it('model.py compiles and passes ruff; it declares nn.PReLU(units, init=0.0) and the Dice helper', async () => {
    const dir = await exportPackage(parametricGraph(), path.join(tmp.dir, 'pkg-lint'));
    await runPython(PYTHON, ['-m', 'py_compile', ...['model.py', 'data.py', 'predict.py', 'train.py', 'to_towerflow.py'].map((f) => path.join(dir, f))], tmp.dir);
    const lint = await run(path.join(BIN, 'ruff'), ['check', '--isolated', '--no-cache', '.'], { cwd: dir }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? String(e) }));
    expect(lint.stdout.trim()).toBe('All checks passed!');
    const { stdout } = await runPython(PYTHON, ['-c', 'from model import Model; print(Model())'], dir);
    expect(stdout).toContain('(tower_a_act_0): PReLU(num_parameters=4)');
    expect(stdout).toContain('(bottom_act_0): Dice(8, eps=1e-09, momentum=0.01)');
    expect(stdout).toMatch(/\(interest_dice_unit\): DinActivationUnit\([^]*?\(activations\): ModuleList\(\s*\(0\): Dice\(6, [^)]*\)\s*\(1\): Dice\(3, /);
    expect(stdout).toMatch(/\(interest_prelu_unit\): DinActivationUnit\([^]*?\(activations\): ModuleList\(\s*\(0\): PReLU\(num_parameters=5\)/);
  }, 120_000);

  it('predicts as tfjs in inference (within 1e-5) and in a training call (within 1e-4), and moves Dice’s statistics as tfjs does', async () => {
    const graph = parametricGraph({ dropout: 0 });
    const dir = await exportPackage(graph, path.join(tmp.dir, 'pkg-predict'));
    const compiled = compileGraph(graph, { seed: 3 });
    if (!compiled.ok) throw new Error('test bug: the graph does not compile');
    const { model, inputs } = compiled.compiled;
    let state = 11;
    const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
    randomizeWeights(model, random);
    await model.save(fileSaveHandler(path.join(dir, 'model')));
    const rows = 64;
    const feed = inputs.map((spec) => {
      const width = spec.shape.reduce((a, b) => a * b, 1);
      // Every third id is 0 (padding / missing), so masks matter.
      const values = Array.from({ length: rows * width }, (_, i) => (spec.dtype === 'int32' ? (i % 3 === 0 ? 0 : Math.floor(random() * 40)) : random() * 4 - 2));
      return { name: spec.name, dtype: spec.dtype, shape: [rows, ...spec.shape], values };
    });
    const byOutput = (outputs: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]) =>
      Object.fromEntries(model.outputNames.map((name, i) => [name, Array.from(([outputs].flat()[i] as tf.Tensor).dataSync())]));
    const xs = feed.map((f) => tf.tensor(f.values, f.shape, f.dtype));
    const inference = byOutput(model.predict(xs) as tf.Tensor[]);
    const training = byOutput(model.apply(xs, { training: true }));
    const after = Object.fromEntries(model.weights.map((w, i) => [w.originalName, Array.from((model.getWeights()[i] as tf.Tensor).dataSync())]));
    const moved = Object.keys(after).filter((name) => DICE_STATISTIC.test(name));
    expect(moved).toHaveLength(12); // 2 per Dice layer: bottom ×2, tower_b ×2, the unit's 2 hidden layers
    writeFileSync(path.join(dir, 'case.json'), JSON.stringify({ feed, inference, training, after, statistic: DICE_STATISTIC.source }));
    const { stdout } = await runPython(PYTHON, ['-c', SCRIPT], dir);
    const result = JSON.parse(stdout.trim()) as { inference: number; training: number; statistics: number; moved: number };
    console.info(`PReLU/Dice graph: model.py vs tfjs, max |Δ| ${JSON.stringify(result)}`);
    expect(result.inference).toBeLessThan(1e-5);
    expect(result.training).toBeLessThan(1e-4);
    expect(result.statistics).toBe(12);
    expect(result.moved).toBeLessThan(1e-5);
    tf.dispose(xs);
  }, 120_000);
});

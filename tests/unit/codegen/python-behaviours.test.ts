import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDataError } from '../../../app/data/errors';
import { encodeFile, prepareData } from '../../../app/data/prepare';
import { compileOrThrow } from '../../helpers/plain';
import { dinGenresBinding, dinGenresGraph, HEADER, TRAIN_ROWS } from '../data/din-genres';
import { exportPackage, pythonEnv, runPython } from './python-support';
import { scratchDir } from './support';

/**
 * The PyTorch export's data.py keeps DIN's behaviours aligned as Towerflow does: the item and genre
 * histories of the example graph, fitted in both, encode to the same arrays, unknown items dropped
 * together with their genres.
 */
const env = await pythonEnv();
if (!env.python) console.warn(`Skipping the data.py behaviour test: ${env.reason ?? 'no Python environment'}`);
const tmp = scratchDir('towerflow-torch-behaviours-');
afterAll(() => tmp.remove());

const SCRIPT = `
import json, sys
import data, model
binding = data.read_json(sys.argv[2])
encoders = data.read_json(sys.argv[3])
fitted = data.fit_encoders(sys.argv[1], binding, model.INPUTS, model.OUTPUTS)
inputs, _ = data.encode_file(sys.argv[4], binding, encoders, model.INPUTS, False)
print(json.dumps({"fitted": fitted, "inputs": {k: v.tolist() for k, v in inputs.items()}}))
`;

describe.skipIf(!env.python)('data.py: behaviour sequences', () => {
  it('fits the same encoders (with the same sequence groups) and encodes the same aligned arrays as Towerflow', async () => {
    const graph = dinGenresGraph();
    const dir = await exportPackage(graph, path.join(tmp.dir, 'pkg'));
    const compiled = compileOrThrow(graph);
    try {
      const binding = dinGenresBinding();
      const train = path.join(tmp.dir, 'train.csv');
      writeFileSync(train, [HEADER, ...TRAIN_ROWS].join('\n') + '\n');
      const prepared = await prepareData(compiled, binding, { train }, { validation: 0, seed: 1 });
      if (isDataError(prepared)) throw new Error(prepared.message);
      const rows = path.join(tmp.dir, 'rows.csv');
      writeFileSync(
        rows,
        [
          HEADER,
          'u1,30,War,10|99999|20|40,Comedy|War|Drama|Romance,1',
          'u1,30,War,10|20|40|99999,Comedy|Drama|Romance|War,1',
          'u2,10,Comedy,20|40,?|Romance,0',
          'u2,10,Comedy,?,?,0',
        ].join('\n') + '\n',
      );
      const encoded = await encodeFile(compiled, prepared.encoders, binding, rows, false);
      if (isDataError(encoded)) throw new Error(encoded.message);
      const files = { binding: path.join(tmp.dir, 'binding.json'), encoders: path.join(tmp.dir, 'encoders.json'), script: path.join(dir, 'encode_check.py') };
      writeFileSync(files.binding, JSON.stringify(binding));
      writeFileSync(files.encoders, JSON.stringify(prepared.encoders));
      writeFileSync(files.script, SCRIPT);
      const { stdout } = await runPython(env.python as string, [files.script, train, files.binding, files.encoders, rows], dir);
      const result = JSON.parse(stdout) as { fitted: unknown; inputs: Record<string, number[][]> };
      expect(result.fitted).toEqual(JSON.parse(JSON.stringify(prepared.encoders)));
      expect((result.fitted as { sequences?: unknown }).sequences).toHaveLength(1);
      for (const spec of compiled.inputs) {
        const width = spec.shape.reduce((a, b) => a * b, 1);
        const ours = Array.from({ length: encoded.rows }, (_, r) => Array.from(encoded.inputs[spec.name]?.subarray(r * width, (r + 1) * width) ?? []));
        expect(result.inputs[spec.name], spec.name).toEqual(ours);
      }
      // The moved (unknown item, genre) pair leaves the two rows' histories identical.
      const history = compiled.inputs.filter((i) => i.shape[0] === 20).map((i) => result.inputs[i.name] ?? []);
      for (const list of history) expect(list[0]).toEqual(list[1]);
    } finally {
      compiled.model.dispose();
    }
  }, 120_000);

  it('refuses a cell past 256 Ki characters with its place, as Towerflow does', async () => {
    const dir = await exportPackage(dinGenresGraph(), path.join(tmp.dir, 'pkg-long'));
    const file = path.join(tmp.dir, 'long.csv');
    writeFileSync(file, `a,b\n1,${'x'.repeat(300_000)}\n`);
    const script = path.join(dir, 'long_check.py');
    writeFileSync(script, 'import sys\nimport data\ntry:\n    list(data.open_table(sys.argv[1]).rows())\nexcept data.DataError as e:\n    print(e.code, e.line)\n');
    const { stdout } = await runPython(env.python as string, [script, file], dir);
    expect(stdout.trim()).toBe('E_DATA_CELL_TOO_LONG 2');
  }, 60_000);
});

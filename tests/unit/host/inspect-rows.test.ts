import { afterAll, describe, expect, it } from 'vitest';
import { encodeFile } from '../../../app/data/prepare';
import { isDataError } from '../../../app/data/errors';
import { encodeRows } from '../../../app/host/inspect';
import { censusHead, compile, exampleBinding, prepare, template, tempDir } from '../train/helpers';

/**
 * The inspector encodes only the rows it looks at (encodeRows); they must come out exactly as
 * encodeFile, which prediction and training use, encodes them.
 */
describe('the rows the model inspector reads', () => {
  const tmp = tempDir('towerflow-inspect-');
  afterAll(() => tmp.cleanup());

  it('are encoded as encodeFile encodes them, only those picked, reading no further than needed', async () => {
    const file = tmp.write('census.csv', censusHead(300));
    const compiled = compile(template('mmoe'));
    const binding = exampleBinding('census-income');
    const { encoders } = await prepare(compiled, binding, { train: file });
    const run = { compiled, binding, encoders };
    const whole = await encodeFile(compiled, encoders, { ...binding, labels: {} }, file, false);
    if (isDataError(whole)) throw new Error(whole.message);

    let asked = 0;
    const oddRows = (i: number) => {
      asked = Math.max(asked, i);
      return i % 2 === 1;
    };
    const odd = await encodeRows(run, file, oddRows, 40);
    if ('error' in odd) throw new Error(odd.error.message);
    expect(odd.encoded.rows).toBe(40);
    expect(odd.fileIndices).toEqual(Array.from({ length: 40 }, (_, k) => 2 * k + 1));
    // The 40th odd row is row 79: nothing after it is read.
    expect(asked).toBe(79);
    for (const spec of compiled.inputs) {
      const width = spec.shape.reduce((a, b) => a * b, 1);
      const expected = odd.fileIndices.flatMap((i) => Array.from(whole.inputs[spec.name]?.subarray(i * width, (i + 1) * width) ?? []));
      expect(Array.from(odd.encoded.inputs[spec.name] ?? []), spec.name).toEqual(expected);
    }

    const all = await encodeRows(run, file, () => true, 10_000);
    if ('error' in all) throw new Error(all.error.message);
    expect(all.encoded.rows).toBe(whole.rows);
    for (const spec of compiled.inputs) expect(all.encoded.inputs[spec.name], spec.name).toEqual(whole.inputs[spec.name]);
  });
});

import { describe, expect, it } from 'vitest';
import { compileTemplate, templateGraph, templateSplit, TEMPLATES } from '../../bench/template-data';

/**
 * The arrays the template peers train both engines on (bench/template-data.ts): every id inside its
 * table, sequences padded on the left as the encoder pads them, 0/1 labels for every trained output,
 * the same arrays for the same seed. A bench that fed out-of-range ids would time an error path.
 */
describe.each(TEMPLATES)('bench data for %s', (name) => {
  const graph = templateGraph(name);
  const compiled = compileTemplate(graph, 1);
  const split = templateSplit(graph, compiled, 300, 4);
  compiled.model.dispose();

  it('ids below each input\'s vocabSize, sequences left-padded with 0, 0/1 labels for every labelled output', () => {
    for (const spec of compiled.inputs) {
      const values = split.inputs[spec.name];
      const width = spec.shape.reduce((a, b) => a * b, 1);
      expect(values?.length).toBe(300 * width);
      if (spec.dtype === 'float32') continue;
      const node = graph.nodes.find((n) => n.id === spec.nodeId);
      const vocab = node?.params?.vocabSize as number;
      expect(Math.max(...(values ?? []))).toBeLessThan(vocab);
      expect(Math.min(...(values ?? []))).toBeGreaterThanOrEqual(0);
      if (node?.kind !== 'input.sequence') continue;
      let padded = 0;
      for (let r = 0; r < 300; r++) {
        const row = Array.from(values?.subarray(r * width, (r + 1) * width) ?? []);
        const firstReal = row.findIndex((id) => id !== 0);
        // The newest behaviour sits in the last slot; padding is one run of zeros before the first.
        expect(firstReal).toBeGreaterThanOrEqual(0);
        expect(row.slice(firstReal).every((id) => id !== 0)).toBe(true);
        if (firstReal > 0) padded++;
      }
      expect(padded).toBeGreaterThan(200);
    }
    const labelled = compiled.outputs.filter((o) => o.label !== undefined).map((o) => o.name);
    expect(Object.keys(split.labels).sort()).toEqual(labelled.sort());
    for (const labels of Object.values(split.labels)) expect(new Set(labels)).toEqual(new Set([0, 1]));
  });

  it('the same seed gives the same arrays; another seed does not', () => {
    const again = templateSplit(graph, compiled, 300, 4);
    const other = templateSplit(graph, compiled, 300, 5);
    expect(again).toEqual(split);
    expect(other.inputs).not.toEqual(split.inputs);
  });
});

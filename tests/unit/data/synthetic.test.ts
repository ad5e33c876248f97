import { describe, expect, it } from 'vitest';
import { mmoeSynthetic, type SyntheticData } from '../../../app/data/synthetic';
import { pearson } from '../../../app/train/metrics';

function linearParts(data: SyntheticData): [Float64Array, Float64Array] {
  const a = new Float64Array(data.n);
  const b = new Float64Array(data.n);
  for (let r = 0; r < data.n; r++) {
    for (let j = 0; j < data.d; j++) {
      const x = data.x[r * data.d + j]!;
      a[r]! += data.w1[j]! * x;
      b[r]! += data.w2[j]! * x;
    }
  }
  return [a, b];
}

function variance(values: Float32Array): number {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((sum, v, j) => sum + v * b[j]!, 0);

describe('MMoE synthetic data', () => {
  const n = 4000;
  const byP = new Map([1, 0.8, 0.5, 0.2, 0].map((p) => [p, mmoeSynthetic({ n, p, seed: 11 })]));

  it('builds weight vectors of norm c with cosine exactly p', () => {
    for (const [p, data] of byP) {
      expect(Math.sqrt(dot(data.w1, data.w1))).toBeCloseTo(0.3, 12);
      expect(Math.sqrt(dot(data.w2, data.w2))).toBeCloseTo(0.3, 12);
      expect(dot(data.w1, data.w2) / 0.09).toBeCloseTo(p, 12);
      expect(data.alpha).toHaveLength(5);
      expect(data.x).toHaveLength(n * 100);
    }
  });

  it('gives linear parts whose Pearson correlation is close to p', () => {
    for (const [p, data] of byP) {
      const [a, b] = linearParts(data);
      // Standard error of r at n = 4000 is at most 1/sqrt(n) ~ 0.016.
      expect(Math.abs(pearson(a, b) - p)).toBeLessThan(0.05);
    }
  });

  it('lowers the label correlation as p decreases', () => {
    const correlations = [...byP.values()].map((data) => pearson(data.y1, data.y2));
    for (let k = 1; k < correlations.length; k++) expect(correlations[k]).toBeLessThan(correlations[k - 1]!);
    // At p = 1 the tasks differ only by noise: corr = (var(y) - 0.01) / var(y). The signal is
    // small (w.x has variance c^2 = 0.09), so this is well below 1.
    const y = byP.get(1)!.y1;
    const varY = variance(y);
    expect(correlations[0]).toBeCloseTo((varY - 0.01) / varY, 1);
  });

  it('adds noise of variance 0.01 per task', () => {
    // With p = 1 both tasks share w, so y1 - y2 is the difference of two noises: variance 0.02.
    const data = byP.get(1)!;
    let sum = 0;
    let sumSq = 0;
    for (let r = 0; r < n; r++) {
      const diff = data.y1[r]! - data.y2[r]!;
      sum += diff;
      sumSq += diff * diff;
    }
    const diffVariance = sumSq / n - (sum / n) ** 2;
    expect(diffVariance).toBeGreaterThan(0.018);
    expect(diffVariance).toBeLessThan(0.022);
  });

  it('is reproducible for a seed', () => {
    const a = mmoeSynthetic({ n: 50, p: 0.5, seed: 3, d: 8 });
    const b = mmoeSynthetic({ n: 50, p: 0.5, seed: 3, d: 8 });
    const c = mmoeSynthetic({ n: 50, p: 0.5, seed: 4, d: 8 });
    expect(b).toEqual(a);
    expect(c.y1).not.toEqual(a.y1);
  });
});

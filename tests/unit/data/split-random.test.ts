import { describe, expect, it } from 'vitest';
import { hashUniform } from '../../../app/data/hash';
import { createRng, shuffled } from '../../../app/data/random';
import { makeSplitter, type SplitName, type Splitter } from '../../../app/data/split';

describe('createRng', () => {
  it('repeats for a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniform and normal values with the right moments', () => {
    const rng = createRng(7);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let uniformSum = 0;
    let low = Infinity;
    let high = -Infinity;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(2, 3);
      sum += z;
      sumSq += z * z;
      const u = rng.uniform(-1, 3);
      low = Math.min(low, u);
      high = Math.max(high, u);
      uniformSum += u;
    }
    const mean = sum / n;
    // Standard errors: normal mean 3/sqrt(n) ~ 0.0067, variance ~ 9*sqrt(2/n) ~ 0.028.
    expect(mean).toBeCloseTo(2, 1);
    expect(sumSq / n - mean * mean).toBeGreaterThan(8.85);
    expect(sumSq / n - mean * mean).toBeLessThan(9.15);
    expect(uniformSum / n).toBeCloseTo(1, 1);
    expect(low).toBeGreaterThanOrEqual(-1);
    expect(low).toBeLessThan(-0.99);
    expect(high).toBeLessThan(3);
    expect(high).toBeGreaterThan(2.99);
  });

  it('shuffles into a permutation without touching the input', () => {
    const items = [1, 2, 3, 4, 5, 6];
    const out = shuffled(items, createRng(1));
    expect([...out].sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect(shuffled(items, createRng(1))).toEqual(out);
  });
});

describe('makeSplitter', () => {
  const splitter = makeSplitter({ train: 0.5, validation: 0.25, test: 0.25 }, 2024) as Splitter;

  it('gives each row a split that depends only on seed and row index', () => {
    const first = Array.from({ length: 1000 }, (_, i) => splitter.ofIndex(i));
    const again = makeSplitter({ train: 0.5, validation: 0.25, test: 0.25 }, 2024) as Splitter;
    // Reading rows in reverse order (or only a prefix) changes nothing.
    const reversed = Array.from({ length: 1000 }, (_, k) => again.ofIndex(999 - k)).reverse();
    expect(reversed).toEqual(first);
    const other = makeSplitter({ train: 0.5, validation: 0.25, test: 0.25 }, 2025) as Splitter;
    expect(Array.from({ length: 1000 }, (_, i) => other.ofIndex(i))).not.toEqual(first);
  });

  it('matches the ratios on many rows', () => {
    const counts: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[splitter.ofIndex(i)]++;
    // 4 standard errors of a proportion near 0.25-0.5 over 1e5 rows is ~0.006.
    expect(Math.abs(counts.train / n - 0.5)).toBeLessThan(0.006);
    expect(Math.abs(counts.validation / n - 0.25)).toBeLessThan(0.006);
    expect(Math.abs(counts.test / n - 0.25)).toBeLessThan(0.006);
  });

  it('keeps all rows of a key together and never uses an empty test split', () => {
    const twoWay = makeSplitter({ train: 0.8, validation: 0.2 }, 1) as Splitter;
    const seen = new Set(Array.from({ length: 5000 }, (_, i) => twoWay.ofKey(`user${i}`)));
    expect(seen).toEqual(new Set(['train', 'validation']));
    expect(twoWay.ofKey('user17')).toBe(twoWay.ofKey('user17'));
  });

  it('spreads hashUniform evenly over [0, 1)', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) buckets[Math.floor(hashUniform(3, i) * 10)]!++;
    for (const count of buckets) expect(Math.abs(count - 5000)).toBeLessThan(300);
  });

  it.each([
    [{ train: 0.8, validation: 0.1 }, 'split ratios must add up to 1, got 0.8 + 0.1 + 0 = 0.9'],
    [{ train: 1.2, validation: -0.2 }, 'split ratios must be non-negative numbers, got 1.2/-0.2/0'],
  ])('rejects bad ratios %j', (ratios, message) => {
    expect(makeSplitter(ratios, 1)).toEqual({ code: 'E_DATA_BAD_SPLIT', message });
  });
});

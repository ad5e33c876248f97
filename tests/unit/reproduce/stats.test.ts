import { describe, expect, it } from 'vitest';
import { describePaired, judge, pairedComparison, signTest, summarize } from '../../../app/reproduce/stats';

/** Student's t CDF for 3 degrees of freedom in closed form: an independent check of jstat's. */
const tCdf3 = (t: number) => 0.5 + (1 / Math.PI) * ((t / Math.sqrt(3)) / (1 + (t * t) / 3) + Math.atan(t / Math.sqrt(3)));

describe('study statistics', () => {
  it('summarises with the n − 1 standard deviation and its standard error', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    // Σ(x − 5)² = 32, over 7.
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.se).toBeCloseTo(Math.sqrt(32 / 7) / Math.sqrt(8), 12);
  });

  it('computes a paired t test by hand-checkable numbers', () => {
    // Differences 2, 3, 2, 4: mean 2.75, Σ(d − mean)² = 2.75, sd = √(2.75/3).
    const c = pairedComparison([3, 5, 4, 6], [1, 2, 2, 2]);
    const se = Math.sqrt(2.75 / 3) / 2;
    expect(c.mean).toBeCloseTo(2.75, 12);
    expect(c.se).toBeCloseTo(se, 12);
    expect(c.t).toBeCloseTo(2.75 / se, 10);
    expect(c.p).toBeCloseTo(2 * (1 - tCdf3(2.75 / se)), 8);
    // t(0.975, 3) = 3.182446 (printed tables).
    expect(c.ci95[0]).toBeCloseTo(2.75 - 3.182446 * se, 5);
    expect(c.ci95[1]).toBeCloseTo(2.75 + 3.182446 * se, 5);
    expect([c.below, c.above]).toEqual([0, 4]);
    expect(c.signP).toBeCloseTo(2 / 16, 12);
  });

  it('sign test: exact binomial tails, capped at 1', () => {
    expect(signTest(1, 9)).toBeCloseTo((2 * (1 + 10)) / 1024, 12);
    expect(signTest(5, 5)).toBe(1);
    expect(signTest(0, 0)).toBe(1);
  });

  it('judges a claim only when the interval excludes zero', () => {
    const lower = pairedComparison([1, 1.1, 0.9, 1.05], [2, 2.1, 2.05, 1.9]);
    expect(judge(lower, 'lower')).toBe('reproduced');
    expect(judge(lower, 'higher')).toBe('opposite');
    const noisy = pairedComparison([1, 2, 1, 2], [2, 1, 2, 1.1]);
    expect(judge(noisy, 'lower')).toBe('within noise');
    expect(describePaired(lower)).toMatch(/^−1\.0000 ± 0\.\d{4} \(95 % CI −1\.\d{4} … −0\.\d{4}; t = −\d+\.\d\d, p < 0\.001; 4 of 4 below, sign test p = 0\.125\)$/);
  });

  it('refuses pairs that do not line up', () => {
    expect(() => pairedComparison([1, 2], [1])).toThrow(/paired comparison of 2 and 1 values/);
  });
});

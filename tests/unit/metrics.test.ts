import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/data/random';
import { auc, gauc, logloss, mse, pearson } from '../../app/train/metrics';

/** O(n^2) definition: P(score+ > score-) + 0.5 P(tie) over positive/negative pairs. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

describe('auc', () => {
  it.each([
    ['the textbook case', [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.75],
    ['perfect ranking', [0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4], 1],
    ['reversed ranking', [1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4], 0],
    ['all scores tied', [0, 1, 0, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5], 0.5],
    // pairs (+,-): (0.5,0.5) tie, (0.5,0.2) win, (0.9,0.5) win, (0.9,0.2) win -> 3.5 / 4
    ['a tie across classes', [1, 0, 1, 0], [0.5, 0.5, 0.9, 0.2], 0.875],
    // pairs: 0.4 vs {0.4,0.4,0.1} = 0.5+0.5+1, 0.7 vs all = 3 -> 5 / 6
    ['ties within and across classes', [0, 1, 0, 1, 0], [0.4, 0.4, 0.4, 0.7, 0.1], 5 / 6],
    ['float labels', [0.0, 1.0], [0.2, 0.9], 1],
  ])('%s', (_name, labels, scores, expected) => {
    expect(auc(labels, scores)).toBeCloseTo(expected, 12);
  });

  it('is NaN when only one class is present or a score is NaN', () => {
    expect(auc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(auc([0, 0], [0.2, 0.3])).toBeNaN();
    expect(auc([], [])).toBeNaN();
    expect(auc([0, 1], [0.2, Number.NaN])).toBeNaN();
  });

  it('throws on arrays of different lengths (a caller bug)', () => {
    expect(() => auc([0, 1], [0.5])).toThrow(RangeError);
  });

  it('matches the pairwise definition on random data with many ties (seeded)', () => {
    const rng = createRng(99);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.int(150);
      const labels = Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
      labels[0] = 1;
      labels[1] = 0;
      const scores = Array.from({ length: n }, () => rng.int(20) / 20);
      expect(auc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
    }
  });

  it('matches the pairwise definition for arbitrary inputs (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -5, max: 5 })), { minLength: 2, maxLength: 60 }),
        (pairs) => {
          const labels = pairs.map(([label]) => label);
          const scores = pairs.map(([, score]) => score);
          const expected = labels.includes(0) && labels.includes(1) ? pairwiseAuc(labels, scores) : Number.NaN;
          const actual = auc(labels, scores);
          return Number.isNaN(expected) ? Number.isNaN(actual) : Math.abs(actual - expected) < 1e-12;
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('gauc', () => {
  it('weights each user with both classes by impressions and skips one-class users', () => {
    const labels = [0, 0, 1, 1, /* u2 */ 1, 0, 0, /* u3 only positives */ 1, 1];
    const scores = [0.1, 0.4, 0.35, 0.8, /* u2 */ 0.2, 0.9, 0.1, /* u3 */ 0.5, 0.6];
    const users = ['u1', 'u1', 'u1', 'u1', 'u2', 'u2', 'u2', 'u3', 'u3'];
    // u1: AUC 0.75 over 4 impressions; u2: positive 0.2 beats 0.1, loses to 0.9 -> 0.5 over 3.
    expect(gauc(labels, scores, users)).toBeCloseTo((4 * 0.75 + 3 * 0.5) / 7, 12);
    expect(gauc([1, 0], [0.5, 0.1], [1, 2])).toBeNaN();
  });

  it('equals AUC for a single group', () => {
    const labels = [0, 1, 1, 0, 1];
    const scores = [0.3, 0.2, 0.9, 0.1, 0.5];
    expect(gauc(labels, scores, [7, 7, 7, 7, 7])).toBe(auc(labels, scores));
  });
});

describe('logloss, mse and pearson', () => {
  it('computes mean binary cross-entropy with clipping at 1e-7', () => {
    expect(logloss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    // p = 0 for a positive would be infinite; clipping gives -log(1e-7).
    expect(logloss([1], [0])).toBeCloseTo(-Math.log(1e-7), 9);
    expect(logloss([0], [1])).toBeCloseTo(-Math.log(1e-7), 6);
    expect(logloss([], [])).toBeNaN();
  });

  it('computes mean squared error', () => {
    expect(mse([1, 2, 3], [1, 4, 0])).toBeCloseTo((0 + 4 + 9) / 3, 12);
  });

  it('computes Pearson correlation', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // centred: x = (-1, 0, 1), y = (-1/3, -1/3, 2/3) -> cov 1, |x| = sqrt 2, |y| = sqrt(2/3)
    expect(pearson([1, 2, 3], [1, 1, 2])).toBeCloseTo(1 / Math.sqrt(2 * (2 / 3)), 12);
    expect(pearson([1, 1], [1, 2])).toBeNaN();
  });
});

import jStat from 'jstat';

/**
 * The statistics the studies report. Each finding is a paired comparison: the two models share the
 * data and the seed, so the seed's own effect cancels in the per-seed difference, and what remains
 * is set against its standard error with a t test (and a sign test, which assumes nothing about
 * the shape of the differences).
 */
export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). */
  sd: number;
  /** Standard error of the mean, sd / √n. */
  se: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, se: n > 0 ? sd / Math.sqrt(n) : 0 };
}

export interface PairedComparison extends Summary {
  /** 95 % confidence interval of the mean difference (t distribution, n − 1 degrees of freedom). */
  ci95: [number, number];
  t: number;
  /** Two-sided p value of the paired t test. */
  p: number;
  /** Pairs with a < b, with a > b (ties in neither). */
  below: number;
  above: number;
  /** Two-sided p value of the sign test on those counts. */
  signP: number;
}

/** Differences a − b, pair by pair; `a` and `b` must line up (same seed, same data, at one index). */
export function pairedComparison(a: readonly number[], b: readonly number[]): PairedComparison {
  if (a.length !== b.length) throw new Error(`Bug: paired comparison of ${a.length} and ${b.length} values`);
  const diffs = a.map((x, i) => x - (b[i] as number));
  const s = summarize(diffs);
  const df = s.n - 1;
  const t = s.se > 0 ? s.mean / s.se : s.mean === 0 ? 0 : Math.sign(s.mean) * Number.POSITIVE_INFINITY;
  const p = df > 0 && Number.isFinite(t) ? 2 * (1 - jStat.studentt.cdf(Math.abs(t), df)) : df > 0 ? 0 : 1;
  const half = df > 0 ? jStat.studentt.inv(0.975, df) * s.se : Number.POSITIVE_INFINITY;
  const below = diffs.filter((d) => d < 0).length;
  const above = diffs.filter((d) => d > 0).length;
  return { ...s, ci95: [s.mean - half, s.mean + half], t, p, below, above, signP: signTest(below, above) };
}

/** Two-sided exact sign test: the chance of a split at least this uneven if each sign were a coin toss. */
export function signTest(below: number, above: number): number {
  const n = below + above;
  if (n === 0) return 1;
  return Math.min(1, 2 * jStat.binomial.cdf(Math.min(below, above), n, 0.5));
}

export type Outcome = 'reproduced' | 'opposite' | 'within noise';

/**
 * A paper's claim "a is lower than b" (or higher) judged on paired differences a − b: reproduced
 * when the 95 % interval lies wholly on the claimed side, opposite when wholly on the other side,
 * otherwise the difference is within seed noise.
 */
export function judge(c: PairedComparison, claim: 'lower' | 'higher'): Outcome {
  const [lo, hi] = c.ci95;
  const claimed = claim === 'lower' ? hi < 0 : lo > 0;
  const contrary = claim === 'lower' ? lo > 0 : hi < 0;
  return claimed ? 'reproduced' : contrary ? 'opposite' : 'within noise';
}

export const outcomeText: Record<Outcome, string> = {
  reproduced: '**reproduced**',
  opposite: '**not reproduced** (significantly the other way)',
  'within noise': '**not reproduced** (the difference is within seed noise)',
};

/** "p = 0.013", or "p < 0.001" for small ones: how a reader expects a p value. */
export const formatP = (p: number): string => (p < 0.001 ? '< 0.001' : `= ${p.toFixed(3)}`);

/** "−0.0012 ± 0.0004 (95 % CI −0.0021 … −0.0003; t = −3.1, p = 0.013; 8 of 10 below)" */
export function describePaired(c: PairedComparison, digits = 4): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(digits).replace('-', '−') : String(x));
  return `${f(c.mean)} ± ${f(c.se)} (95 % CI ${f(c.ci95[0])} … ${f(c.ci95[1])}; t = ${Number.isFinite(c.t) ? c.t.toFixed(2).replace('-', '−') : c.t}, p ${formatP(c.p)}; ${c.below} of ${c.n} below, sign test p ${formatP(c.signP)})`;
}

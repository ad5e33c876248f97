/**
 * Synthetic two-task regression data from the MMoE paper (Ma et al., KDD 2018, section 3.2),
 * where the task correlation is controlled by p = cosine(w1, w2):
 *
 *   u1, u2    orthogonal unit vectors in R^d (Gaussian draws, Gram-Schmidt)
 *   w1 = c u1,  w2 = c (p u1 + sqrt(1 - p^2) u2)
 *   x ~ N(0, I_d)
 *   y_k = w_k.x + sum_{i=1..m} sin(alpha_i w_k.x + beta_i) + eps,   alpha_i, beta_i ~ N(0, 1)
 *
 * The paper writes eps ~ N(0, 0.01); we read 0.01 as the VARIANCE (noise std 0.1).
 * alpha and beta are shared by both tasks, as in the paper. Everything derives from `seed`.
 */
import { createRng } from './random';

export interface SyntheticOptions {
  readonly n: number;
  /** Cosine similarity of w1 and w2, in [-1, 1]. */
  readonly p: number;
  readonly seed: number;
  readonly d?: number;
  readonly c?: number;
  readonly m?: number;
  readonly noiseVariance?: number;
}

export interface SyntheticData {
  readonly n: number;
  readonly d: number;
  /** Row-major [n, d]. */
  readonly x: Float32Array;
  readonly y1: Float32Array;
  readonly y2: Float32Array;
  readonly w1: Float64Array;
  readonly w2: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
}

export function mmoeSynthetic(options: SyntheticOptions): SyntheticData {
  const { n, p, seed } = options;
  const d = options.d ?? 100;
  const c = options.c ?? 0.3;
  const m = options.m ?? 5;
  const noiseStd = Math.sqrt(options.noiseVariance ?? 0.01);
  if (!(p >= -1 && p <= 1)) throw new RangeError(`p must lie in [-1, 1], got ${p}`);
  if (d < 2) throw new RangeError(`d must be at least 2 for two orthogonal vectors, got ${d}`);

  const rng = createRng(seed);
  const [u1, u2] = orthonormalPair(d, () => rng.normal());
  const q = Math.sqrt(1 - p * p);
  const w1 = u1.map((v) => c * v);
  const w2 = u1.map((v, j) => c * (p * v + q * (u2[j] as number)));
  const alpha = Float64Array.from({ length: m }, () => rng.normal());
  const beta = Float64Array.from({ length: m }, () => rng.normal());

  const x = new Float32Array(n * d);
  const y1 = new Float32Array(n);
  const y2 = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let dot1 = 0;
    let dot2 = 0;
    for (let j = 0; j < d; j++) {
      const value = rng.normal();
      x[r * d + j] = value;
      dot1 += (w1[j] as number) * value;
      dot2 += (w2[j] as number) * value;
    }
    y1[r] = dot1 + sinusoids(dot1, alpha, beta) + noiseStd * rng.normal();
    y2[r] = dot2 + sinusoids(dot2, alpha, beta) + noiseStd * rng.normal();
  }
  return { n, d, x, y1, y2, w1, w2, alpha, beta };
}

function sinusoids(z: number, alpha: Float64Array, beta: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < alpha.length; i++) sum += Math.sin((alpha[i] as number) * z + (beta[i] as number));
  return sum;
}

function orthonormalPair(d: number, draw: () => number): [Float64Array, Float64Array] {
  const a = Float64Array.from({ length: d }, draw);
  const b = Float64Array.from({ length: d }, draw);
  const u1 = scale(a, 1 / norm(a));
  const along = dot(b, u1);
  const rest = b.map((v, j) => v - along * (u1[j] as number));
  return [u1, scale(rest, 1 / norm(rest))];
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += (a[j] as number) * (b[j] as number);
  return sum;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

function scale(a: Float64Array, k: number): Float64Array {
  return a.map((v) => v * k);
}

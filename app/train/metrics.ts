/**
 * Evaluation metrics as pure functions over parallel arrays.
 * Labels are positive when > 0.5, so 0/1 labels stored as floats work unchanged.
 * Arrays of different lengths are a programming error and throw.
 */

/**
 * Exact ROC AUC via the Mann-Whitney U statistic with average ranks, so tied scores count
 * one half (all scores equal -> 0.5). Returns NaN when only one class is present (AUC is
 * undefined there) or when any score is NaN (e.g. a diverged model).
 */
export function auc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  sameLength(labels, scores);
  return aucOf(labels, scores, Array.from({ length: labels.length }, (_, i) => i));
}

/**
 * Group AUC as in the DIN paper: sum_u n_u * AUC_u / sum_u n_u, where n_u is the number of
 * impressions of group u, over groups that contain both classes. NaN when no group does.
 */
export function gauc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  groups: ArrayLike<number | string>,
): number {
  let weighted = 0;
  let weight = 0;
  for (const { auc: value, rows } of groupAucs(labels, scores, groups).values()) {
    weighted += rows * value;
    weight += rows;
  }
  return weight > 0 ? weighted / weight : Number.NaN;
}

/** Each group's AUC and row count, for the groups that contain both classes (what GAUC averages). */
export function groupAucs(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  groups: ArrayLike<number | string>,
): Map<number | string, { auc: number; rows: number }> {
  sameLength(labels, scores);
  sameLength(labels, groups);
  const members = new Map<number | string, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const key = groups[i] as number | string;
    const list = members.get(key);
    if (list === undefined) members.set(key, [i]);
    else list.push(i);
  }
  const result = new Map<number | string, { auc: number; rows: number }>();
  for (const [key, indices] of members) {
    const value = aucOf(labels, scores, indices);
    if (!Number.isNaN(value)) result.set(key, { auc: value, rows: indices.length });
  }
  return result;
}

/**
 * Why an AUC has no value, for whoever shows it ("—" and this reason, never "NaN" or "undefined"),
 * or undefined when it has one (or the task has no AUC at all: regression). AUC ranks positive rows
 * against negative ones, so `auc` above is NaN when the rows hold one class only, or when a score is
 * NaN. A run folder keeps the metrics, not the labels, so the two are told apart by the log loss
 * measured on the same rows and scores: finite means the scores were numbers, hence one class —
 * in practice a rare label with no positive row among the validation rows.
 */
export function aucUndefinedReason(metrics: { auc?: number | null; logloss?: number | null }, rows = 'validation'): string | undefined {
  const { auc: value, logloss: ll } = metrics;
  if (typeof value === 'number' && Number.isFinite(value)) return undefined;
  if (value === undefined && ll === undefined) return undefined;
  if (typeof ll === 'number' && Number.isFinite(ll)) return `no positive rows in ${rows} (or no negative ones): AUC needs both`;
  return `the model's scores on the ${rows} rows are not numbers (training diverged)`;
}

/** Mean binary cross-entropy; probabilities clipped to [eps, 1 - eps] with eps = 1e-7. */
export function logloss(labels: ArrayLike<number>, probs: ArrayLike<number>, eps = 1e-7): number {
  sameLength(labels, probs);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const p = Math.min(1 - eps, Math.max(eps, probs[i] as number));
    sum -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return labels.length > 0 ? sum / labels.length : Number.NaN;
}

export function mse(targets: ArrayLike<number>, predictions: ArrayLike<number>): number {
  sameLength(targets, predictions);
  let sum = 0;
  for (let i = 0; i < targets.length; i++) {
    const diff = (targets[i] as number) - (predictions[i] as number);
    sum += diff * diff;
  }
  return targets.length > 0 ? sum / targets.length : Number.NaN;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] as number;
    meanB += b[i] as number;
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - meanA;
    const db = (b[i] as number) - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  return varA > 0 && varB > 0 ? cov / Math.sqrt(varA * varB) : Number.NaN;
}

function aucOf(labels: ArrayLike<number>, scores: ArrayLike<number>, indices: number[]): number {
  let positives = 0;
  for (const i of indices) {
    if (Number.isNaN(scores[i] as number)) return Number.NaN;
    if ((labels[i] as number) > 0.5) positives++;
  }
  const negatives = indices.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;

  const order = [...indices].sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    const score = scores[order[start] as number] as number;
    let end = start + 1;
    while (end < order.length && scores[order[end] as number] === score) end++;
    // Ranks start..end-1 (0-based) share their average, (start + end - 1) / 2 + 1 in 1-based terms.
    const averageRank = (start + end + 1) / 2;
    for (let k = start; k < end; k++) {
      if ((labels[order[k] as number] as number) > 0.5) positiveRankSum += averageRank;
    }
    start = end;
  }
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return u / (positives * negatives);
}

function sameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new RangeError(`arrays differ in length: ${a.length} vs ${b.length}`);
}

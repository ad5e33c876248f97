/**
 * The DIN attention view as numbers: one bar per history position on a signed scale. The paper's
 * scores are not normalised and are often all negative, so bars grow up or down from a zero line
 * on an axis whose ticks span the values; a graph whose attention node normalises (its `softmax`
 * param) gives weights in [0, 1] that sum to 1 over the real positions. Positions are fractions of
 * the plot's height from its top, so the view is plain CSS percentages, always finite.
 */
export interface AttentionBar {
  item: string | null;
  value: number;
  /** Padding positions score 0 and are drawn as a dot on the zero line. */
  padding: boolean;
  /** Top edge and height of the bar, as fractions of the plot height (0 = top). */
  top: number;
  height: number;
}

export interface AttentionChart {
  /** The scale's ends (nice numbers, zero always inside). */
  min: number;
  max: number;
  /** Tick values with their position from the top (fraction). */
  ticks: { value: number; at: number; label: string }[];
  /** Where zero is, from the top (fraction). */
  zero: number;
  bars: AttentionBar[];
}

export function attentionChart(scores: readonly number[], items: readonly (string | null)[]): AttentionChart {
  const real = scores.filter((s, i) => items[i] !== null && Number.isFinite(s));
  const low = Math.min(0, ...real);
  const high = Math.max(0, ...real);
  const step = niceStep((high - low) / 4 || 1);
  // The small slack keeps a value on a tick (0, or -1.5 with step 0.5) from adding a step past it.
  // (+ 0 turns -0 into 0.)
  const min = Math.floor(low / step + 1e-9) * step + 0;
  const max = low === 0 && high === 0 ? step : Math.ceil(high / step - 1e-9) * step + 0;
  const span = max - min;
  const at = (v: number) => (max - v) / span;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: AttentionChart['ticks'] = [];
  // From the top down, counted in steps so that sums of steps do not drift (0.30000000000000004).
  const count = Math.round(span / step);
  for (let k = 0; k <= count; k++) {
    const v = Number((max - k * step).toFixed(12));
    const value = Math.abs(v) < step / 1e6 ? 0 : v;
    ticks.push({ value, at: at(value), label: value.toFixed(decimals) });
  }
  const zero = at(0);
  const bars = scores.map((raw, i) => {
    const padding = items[i] === null || !Number.isFinite(raw);
    const value = padding ? 0 : raw;
    const end = at(value);
    return { item: items[i] ?? null, value, padding, top: Math.min(zero, end), height: Math.abs(end - zero) };
  });
  return { min, max, ticks, zero, bars };
}

/** 1, 2 or 5 times a power of ten, the smallest such step not under `rough`. */
export function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

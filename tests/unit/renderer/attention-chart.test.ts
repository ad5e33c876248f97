import { describe, expect, it } from 'vitest';
import { attentionChart, niceStep } from '../../../renderer/state/attention-chart';

/** The DIN attention view on a signed scale (#21.9): all-negative scores used to draw nothing. */
describe('attention chart', () => {
  it('draws all-negative scores as bars down from a zero line at the top, on an axis that spans them', () => {
    const chart = attentionChart([-0.8, -2.4, -1.1, 0], ['12', '7', '31', null]);
    expect(chart.max).toBe(0);
    expect(chart.min).toBeLessThanOrEqual(-2.4);
    expect(chart.zero).toBe(0);
    expect(chart.ticks.map((t) => t.label)).toEqual(['0', '-1', '-2', '-3']);
    expect(chart.ticks.at(-1)?.value).toBe(chart.min);
    for (const bar of chart.bars) for (const n of [bar.top, bar.height]) expect(Number.isFinite(n)).toBe(true);
    const [a, b, c, padding] = chart.bars;
    // Bars start at zero and grow downwards, longer for lower scores.
    expect(a?.top).toBe(0);
    expect(b?.height).toBeGreaterThan(c?.height ?? Infinity);
    expect(c?.height).toBeGreaterThan(a?.height ?? Infinity);
    expect(b?.height).toBeCloseTo(2.4 / -chart.min, 6);
    expect(padding).toMatchObject({ padding: true, height: 0 });
  });

  it('puts zero inside the scale for mixed signs, bars up above it and down below it', () => {
    const chart = attentionChart([0.5, -1.5], ['a', 'b']);
    expect(chart.ticks.map((t) => t.value)).toEqual([0.5, 0, -0.5, -1, -1.5]);
    expect(chart.zero).toBeCloseTo(0.5 / 2, 9);
    const [up, down] = chart.bars;
    expect((up?.top ?? 0) + (up?.height ?? 0)).toBeCloseTo(chart.zero, 9);
    expect(down?.top).toBeCloseTo(chart.zero, 9);
  });

  it('softmax weights (0–1) get a scale from 0, and an all-zero row still has one', () => {
    const weights = attentionChart([0.1, 0.7, 0.2], ['a', 'b', 'c']);
    expect(weights.min).toBe(0);
    expect(weights.max).toBeCloseTo(0.8, 9);
    expect(attentionChart([0, 0], [null, null]).max).toBeGreaterThan(0);
    expect([0.13, 0.3, 0.7, 4].map(niceStep)).toEqual([0.2, 0.5, 1, 5]);
  });
});

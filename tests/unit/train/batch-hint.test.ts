import { describe, expect, it } from 'vitest';
import { largeBatchHint } from '../../../app/train/batch-hint';

describe('the large-batch learning-rate hint', () => {
  it('says nothing under 8× the default batch (256)', () => {
    expect(largeBatchHint(512, 0.001, 'adam')).toBeUndefined();
    expect(largeBatchHint(2047, 0.001, 'sgd')).toBeUndefined();
  });

  it('suggests √k × the default rate for Adam at k = 16 (batch 4,096): 0.004', () => {
    const hint = largeBatchHint(4096, 0.001, 'adam');
    expect(hint).toContain('batch 4,096 is 16× the default 256');
    expect(hint).toContain('about √16 ≈ 4× (adam scales with the square root)');
    expect(hint).toContain('≈ 0.004,');
  });

  it('suggests k × the rate for SGD (linear scaling) at batch 32,768: 128 × 0.001 ≈ 0.13', () => {
    expect(largeBatchHint(32768, 0.001, 'sgd')).toContain('a rate 128× (SGD scales linearly) larger, ≈ 0.13,');
  });

  it('stays quiet once the rate is raised to at least half the suggestion', () => {
    expect(largeBatchHint(4096, 0.002, 'adam')).toBeUndefined();
    expect(largeBatchHint(4096, 0.0019, 'adam')).toBeDefined();
  });
});

import { describe, expect, it } from 'vitest';
import { registry } from '../../../app/nodes/registry';
import { fieldsOf, labelOf, parseField, type FieldSpec } from '../../../renderer/panels/param-form';
import { labelFormOf, parseBindingText, ruleOfForm, setFeatureColumn, setLabelRule } from '../../../renderer/state/binding-editor';
import { readFileSync } from 'node:fs';

const field = (kind: string, key: string): FieldSpec => {
  const spec = registry.get(kind);
  const found = spec && fieldsOf(spec).find((f) => f.key === key);
  if (!found) throw new Error(`${kind}.${key}`);
  return found;
};

describe('inspector form from the param declarations', () => {
  it('gives each param its control, bounds and help', () => {
    expect(field('expert', 'count')).toMatchObject({ control: 'number', integer: true, min: 1, max: 256, label: 'Count', help: 'How many experts of this architecture.' });
    expect(field('expert', 'units')).toMatchObject({ control: 'numbers', minItems: 1, maxItems: 16, min: 1, max: 8192 });
    expect(field('expert', 'activation')).toMatchObject({ control: 'select', options: ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish'] });
    // The DIN paper's PReLU and Dice: for mlp, tower and the attention unit, not for experts (fused side by side).
    for (const kind of ['mlp', 'tower', 'attention']) {
      expect(field(kind, 'activation')).toMatchObject({ control: 'select', options: ['relu', 'elu', 'selu', 'tanh', 'sigmoid', 'linear', 'swish', 'prelu', 'dice'] });
      expect(field(kind, 'activation').help).toMatch(/dice \(DIN paper\)/);
    }
    expect(field('expert', 'batchNorm')).toMatchObject({ control: 'checkbox', defaultValue: false });
    expect(field('input.sparse', 'columns')).toMatchObject({ control: 'strings', minItems: 1 });
    expect(field('output', 'lossWeight')).toMatchObject({ control: 'number', integer: false, min: 0, max: 1000 });
    expect(labelOf('vocabSize')).toBe('Vocab size');
  });

  it('covers every param of every kind but the fitted vocabSizes, which training writes', () => {
    for (const kind of registry.values()) expect(fieldsOf(kind).map((f) => f.key)).toEqual(Object.keys(kind.params.shape).filter((k) => k !== 'vocabSizes'));
  });

  it('takes vocabSize as "auto" or a whole number within bounds', () => {
    const vocab = field('input.sparse', 'vocabSize');
    expect(vocab).toMatchObject({ control: 'number', integer: true, min: 2, max: 100_000_000, keyword: 'auto', defaultValue: 'auto' });
    expect(parseField(vocab, ' Auto ')).toEqual({ ok: true, value: 'auto' });
    expect(parseField(vocab, '64')).toEqual({ ok: true, value: 64 });
    expect(parseField(vocab, '1')).toMatchObject({ ok: false, message: 'must be at least 2' });
    expect(parseField(vocab, 'lots')).toMatchObject({ ok: false, message: 'not a number or auto' });
    expect(parseField(vocab, '')).toMatchObject({ ok: false, message: 'enter a number or auto' });
    expect(field('input.sequence', 'maxVocabSize')).toMatchObject({ control: 'number', defaultValue: 100_000 });
  });

  it('parses lists and enforces bounds with a reason', () => {
    expect(parseField(field('expert', 'units'), '64, 32,16')).toEqual({ ok: true, value: [64, 32, 16] });
    expect(parseField(field('expert', 'units'), '')).toMatchObject({ ok: false, message: 'give at least one number' });
    expect(parseField(field('expert', 'units'), '64, 0')).toMatchObject({ ok: false, message: '"0": must be at least 1' });
    expect(parseField(field('expert', 'count'), '2.5')).toMatchObject({ ok: false, message: 'must be a whole number' });
    expect(parseField(field('expert', 'count'), '300')).toMatchObject({ ok: false, message: 'must be at most 256' });
    expect(parseField(field('expert', 'dropout'), '0.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseField(field('tower', 'units'), '')).toEqual({ ok: true, value: [] });
    expect(parseField(field('input.sparse', 'columns'), 'a, b\nc')).toEqual({ ok: true, value: ['a', 'b', 'c'] });
    expect(parseField(field('expert', 'activation'), 'tanh')).toEqual({ ok: true, value: 'tanh' });
    expect(parseField(field('expert', 'activation'), 'gelu')).toMatchObject({ ok: false });
  });
});

describe('binding editor state', () => {
  it('reads a binding file and refuses a bad one with the core’s message', () => {
    const census = readFileSync(new URL('../../../examples/census-income.binding.json', import.meta.url), 'utf8');
    const parsed = parseBindingText(census);
    expect(parsed.ok && parsed.binding.header).toBe(false);
    expect(parseBindingText('{ nope')).toMatchObject({ ok: false });
    expect(parseBindingText('{"labels": {"income": {"column": 3}}}')).toMatchObject({ ok: false, message: expect.stringContaining('income') });
  });

  it('maps a graph column to a data column, the same name needing no entry', () => {
    const b = setFeatureColumn({ features: { age: { log: true } } }, 'age', 'AGE');
    expect(b.features).toEqual({ age: { log: true, column: 'AGE' } });
    expect(setFeatureColumn(b, 'age', 'age').features).toEqual({ age: { log: true } });
    expect(setFeatureColumn({}, 'x', 'x')).toEqual({});
  });

  it('edits label rules as column + equals/atLeast, and leaves composite rules to JSON', () => {
    expect(labelFormOf({}, 'income', 'income_50k')).toEqual({ column: 'income_50k', mode: 'binary', value: '' });
    const equals = ruleOfForm({ column: 'income_50k', mode: 'equals', value: '50000+.' });
    expect(equals).toEqual({ ok: true, rule: { column: 'income_50k', equals: '50000+.' } });
    const b = setLabelRule({}, 'income', equals.ok ? equals.rule : undefined);
    expect(labelFormOf(b, 'income', 'x')).toEqual({ column: 'income_50k', mode: 'equals', value: '50000+.' });
    expect(ruleOfForm({ column: 'rating', mode: 'atLeast', value: '4' })).toEqual({ ok: true, rule: { column: 'rating', atLeast: 4 } });
    expect(ruleOfForm({ column: 'rating', mode: 'atLeast', value: 'high' })).toMatchObject({ ok: false });
    expect(labelFormOf({ labels: { ctcvr: { all: [{ column: 'click' }, { column: 'buy' }] } } }, 'ctcvr', 'click')).toBeUndefined();
  });
});

describe('palette search', () => {
  it('finds kinds by any words of their title, id, category or description', async () => {
    const { searchKinds } = await import('../../../renderer/panels/palette-search');
    const { NODE_KINDS } = await import('../../../app/nodes/registry');
    expect(searchKinds(NODE_KINDS, 'gate').map((k) => k.kind)).toContain('gate');
    expect(searchKinds(NODE_KINDS, 'multi-task').map((k) => k.kind)).toEqual(['expert', 'gate', 'tower']);
    expect(searchKinds(NODE_KINDS, 'sequence pool').map((k) => k.kind)).toEqual(['pooling']);
    expect(searchKinds(NODE_KINDS, '')).toHaveLength(NODE_KINDS.length);
    expect(searchKinds(NODE_KINDS, 'nothing-like-this')).toEqual([]);
  });
});

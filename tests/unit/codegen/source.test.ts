import { describe, expect, it } from 'vitest';
import { camelCase, commentText, IdentifierScope, literal, obj, str } from '../../../app/codegen/source';

describe('str', () => {
  it.each(['', "it's", 'say "hi"', 'back\\slash', 'line\nbreak', '`${x}`', '*/', '\u2028\u2029', '\u202e', '\ud800', '😀', '用户'])(
    'writes %j as a literal that evaluates back to it',
    (value) => {
      const literalText = str(value);
      expect(JSON.parse(literalText)).toBe(value);
      expect(new Function(`return ${literalText};`)()).toBe(value);
      expect(literalText).not.toMatch(/[\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    },
  );
});

describe('commentText', () => {
  it.each([
    ['plain text', 'plain text'],
    ['ends */ here', 'ends *\\/ here'],
    ['two\nlines\r\nand\u2028more', 'two lines and more'],
    ['\u202eevil', 'evil'],
    ['@ts-expect-error', '@ ts-expect-error'],
    ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
    ['tab\tand nul\u0000', 'taband nul'],
  ])('%j → %j', (raw, safe) => {
    expect(commentText(raw)).toBe(safe);
  });

  it('cuts long text on a code point', () => {
    const cut = commentText('😀'.repeat(300), 10);
    expect([...cut]).toHaveLength(10);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('identifiers', () => {
  it.each([
    ['income_50k_tower', 'income50kTower'],
    ['experts_level_1_0', 'expertsLevel1_0'],
    ['n_101', 'n101'],
    ['emb_class_worker', 'embClassWorker'],
  ])('camelCase(%s) = %s', (safe, identifier) => {
    expect(camelCase(safe)).toBe(identifier);
  });

  it('avoid reserved words, module names and each other', () => {
    const scope = new IdentifierScope(['buildModel', 'tf']);
    expect(['class', 'constructor', 'tf', 'build_model', 'tower', 'tower', '', 'n_1', 'n1'].map((s) => scope.fresh(s))).toEqual([
      'class2',
      'constructor2',
      'tf2',
      'buildModel2',
      'tower',
      'tower2',
      'value',
      'n1',
      'n1_2',
    ]);
  });
});

describe('obj and literal', () => {
  it('write option objects with plain keys and quoted odd ones, leaving undefined out', () => {
    expect(obj({ name: str('a'), units: '4', skipped: undefined, 'odd key': '1' })).toBe("{ name: \"a\", units: 4, \"odd key\": 1 }");
    expect(literal([1, 'x', true, [2]])).toBe('[1, "x", true, [2]]');
  });
});

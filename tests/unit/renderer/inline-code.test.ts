import { describe, expect, it } from 'vitest';
import { codeSpans, plainText } from '../../../renderer/panels/inline-code';
import { registry } from '../../../app/nodes/registry';
import { fieldsOf } from '../../../renderer/panels/param-form';

describe('code spans in descriptions', () => {
  it('turns backtick spans into code and leaves the rest as text', () => {
    expect(codeSpans('an MLP, repeated `count` times')).toEqual([
      { code: false, text: 'an MLP, repeated ' },
      { code: true, text: 'count' },
      { code: false, text: ' times' },
    ]);
    expect(codeSpans('`a` and `b`')).toEqual([{ code: true, text: 'a' }, { code: false, text: ' and ' }, { code: true, text: 'b' }]);
    expect(codeSpans('no code here')).toEqual([{ code: false, text: 'no code here' }]);
  });

  it('pairs runs of the same length, and leaves a lone backtick as it is', () => {
    expect(codeSpans('``a`b`` c')).toEqual([{ code: true, text: 'a`b' }, { code: false, text: ' c' }]);
    expect(codeSpans('`` `x` ``')).toEqual([{ code: true, text: '`x`' }]);
    expect(codeSpans('it`s 5')).toEqual([{ code: false, text: 'it`s 5' }]);
    expect(codeSpans('<b>`x`</b>')).toEqual([{ code: false, text: '<b>' }, { code: true, text: 'x' }, { code: false, text: '</b>' }]);
  });

  it('writes tooltips without the backticks', () => {
    expect(plainText('an MLP, repeated `count` times')).toBe('an MLP, repeated count times');
  });

  it('leaves no backtick in any node kind’s description or param help as shown', () => {
    for (const kind of registry.values()) {
      for (const text of [kind.description, ...fieldsOf(kind).map((f) => f.help ?? ''), ...[...kind.inputs, ...kind.outputs].map((p) => p.description)]) {
        expect(codeSpans(text).filter((s) => !s.code).map((s) => s.text).join(''), `${kind.kind}: ${text}`).not.toContain('`');
      }
    }
  });
});

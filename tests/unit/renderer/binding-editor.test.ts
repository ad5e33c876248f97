import { describe, expect, it } from 'vitest';
import { editLabel, labelFormOf, setLabelRule, shownLabel, type BindingDraft, type LabelDraft, type LabelForm } from '../../../renderer/state/binding-editor';

/** Plays a label row as the component does: each change goes through editLabel, a draft is kept until it commits. */
function row(start: BindingDraft, output = 'income', defaultColumn = 'income_50k') {
  let binding = start;
  let draft: LabelDraft | undefined;
  return {
    change(change: Partial<LabelForm>) {
      const committed = labelFormOf(binding, output, defaultColumn);
      if (!committed) throw new Error('composite');
      const edit = editLabel(binding, shownLabel(binding, committed, draft).form, change);
      if (edit.kind === 'draft') draft = edit.draft;
      else {
        draft = undefined;
        binding = setLabelRule(binding, output, edit.rule);
      }
    },
    replace(next: BindingDraft) {
      binding = next;
    },
    get shown() {
      const committed = labelFormOf(binding, output, defaultColumn);
      if (!committed) throw new Error('composite');
      return shownLabel(binding, committed, draft);
    },
    get binding() {
      return binding;
    },
  };
}

describe('the label rule of an output, edited in its row', () => {
  it('keeps "equals" chosen for a new task, with an empty value field and no complaint, until the value is given', () => {
    const r = row({});
    r.change({ mode: 'equals' });
    expect(r.shown).toEqual({ form: { column: 'income_50k', mode: 'equals', value: '' } });
    expect(r.binding).toEqual({});
    r.change({ value: '50000+.' });
    expect(r.binding.labels).toEqual({ income: { column: 'income_50k', equals: '50000+.' } });
    expect(r.shown).toEqual({ form: { column: 'income_50k', mode: 'equals', value: '50000+.' } });
  });

  it('keeps "at least" the same way, and refuses a threshold that is no number with the reason', () => {
    const r = row({ labels: { income: { column: 'rating' } } });
    r.change({ mode: 'atLeast' });
    expect(r.shown.form.mode).toBe('atLeast');
    expect(r.shown.error).toBeUndefined();
    r.change({ value: 'four' });
    expect(r.shown).toMatchObject({ form: { mode: 'atLeast', value: 'four' }, error: 'enter a number: values at least this are 1' });
    expect(r.binding.labels).toEqual({ income: { column: 'rating' } });
    r.change({ value: '4' });
    expect(r.binding.labels).toEqual({ income: { column: 'rating', atLeast: 4 } });
    expect(r.shown.error).toBeUndefined();
  });

  it('commits at once what needs no value, and drops a value the new mode cannot read', () => {
    const r = row({ labels: { income: { column: 'income_50k', equals: '50000+.' } } });
    r.change({ mode: 'binary' });
    expect(r.binding.labels).toEqual({ income: { column: 'income_50k' } });
    const s = row({ labels: { income: { column: 'income_50k', equals: '50000+.' } } });
    s.change({ mode: 'atLeast' });
    expect(s.shown).toEqual({ form: { column: 'income_50k', mode: 'atLeast', value: '' } });
    const t = row({ labels: { income: { column: 'rating', equals: '4' } } });
    t.change({ mode: 'atLeast' });
    expect(t.binding.labels).toEqual({ income: { column: 'rating', atLeast: 4 } });
  });

  it('forgets the draft and its error once the binding is replaced (a pasted JSON binding, a layout)', () => {
    const r = row({});
    r.change({ mode: 'equals' });
    r.change({ value: '' });
    expect(r.shown.error).toBe('enter the value that means 1');
    r.replace({ labels: { income: { column: 'income_50k', equals: '50000+.' } } });
    expect(r.shown).toEqual({ form: { column: 'income_50k', mode: 'equals', value: '50000+.' } });
    r.replace({});
    expect(r.shown).toEqual({ form: { column: 'income_50k', mode: 'binary', value: '' } });
  });
});

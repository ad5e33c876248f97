import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AFTER_HOLD_MS, TOAST_MS, ToastShelf, type Toast } from '../../../renderer/state/toasts';

describe('toasts', () => {
  let shown: Toast[];
  let shelf: ToastShelf;
  const messages = () => shown.map((t) => t.message);
  beforeEach(() => {
    vi.useFakeTimers();
    shown = [];
    shelf = new ToastShelf((toasts) => (shown = toasts));
  });
  afterEach(() => vi.useRealTimers());

  it('go by themselves: news after 5 s, errors after 10 s', () => {
    shelf.add('success', 'saved');
    shelf.add('error', 'cannot read data.csv');
    vi.advanceTimersByTime(TOAST_MS.success + 1);
    expect(messages()).toEqual(['cannot read data.csv']);
    expect(TOAST_MS.error).toBeGreaterThanOrEqual(8000);
    vi.advanceTimersByTime(TOAST_MS.error - TOAST_MS.success);
    expect(messages()).toEqual([]);
  });

  it('stay while the pointer is on them, then get time to finish', () => {
    shelf.add('error', 'the loss became NaN');
    vi.advanceTimersByTime(TOAST_MS.error - 1000);
    shelf.hold(true);
    vi.advanceTimersByTime(60_000);
    expect(messages()).toEqual(['the loss became NaN']);
    shelf.add('info', 'added while held');
    vi.advanceTimersByTime(60_000);
    expect(messages()).toEqual(['the loss became NaN', 'added while held']);
    shelf.hold(false);
    vi.advanceTimersByTime(AFTER_HOLD_MS - 1);
    expect(messages()).toEqual(['the loss became NaN', 'added while held']);
    vi.advanceTimersByTime(1);
    expect(messages()).toEqual(['added while held']);
    vi.advanceTimersByTime(TOAST_MS.info);
    expect(messages()).toEqual([]);
  });

  it('keep at most four, the oldest going first, and each can be closed', () => {
    for (let i = 1; i <= 6; i++) shelf.add('info', `note ${i}`);
    expect(messages()).toEqual(['note 3', 'note 4', 'note 5', 'note 6']);
    shelf.dismiss(shown[0]?.id ?? -1);
    expect(messages()).toEqual(['note 4', 'note 5', 'note 6']);
  });

  it('about a run: a failure is replaced by the next news about it, and cleared when a new run starts', () => {
    shelf.add('error', 'Training failed: the loss became NaN', 'training');
    shelf.add('info', 'saved model.json');
    shelf.add('success', 'Training finished: trained 1 epoch', 'training');
    expect(messages()).toEqual(['saved model.json', 'Training finished: trained 1 epoch']);
    shelf.add('error', 'Training crashed: the process exited', 'training');
    shelf.dismissTopic('training');
    expect(messages()).toEqual(['saved model.json']);
    // The replaced toasts' clocks are gone with them: nothing fires on a toast no longer shown.
    vi.advanceTimersByTime(TOAST_MS.error);
    expect(messages()).toEqual([]);
  });
});

/**
 * The toasts shown at the top right: each goes by itself after a while (errors stay longer), all
 * stay while the pointer is on them, at most MAX_TOASTS at a time, and a toast about something
 * (its topic, e.g. a training run) is replaced by the next one about it. Kept apart from the
 * zustand store so that it runs, timers included, without a DOM.
 */
export interface Toast {
  id: number;
  tone: 'error' | 'info' | 'success';
  message: string;
  /**
   * What the toast is about, e.g. 'training': a newer toast on the same topic replaces it, and
   * dismissTopic clears it once it no longer holds (a new run started).
   */
  topic?: string;
}

/** How long a toast stays: errors long enough to read a sentence or two, then they go too. */
export const TOAST_MS: Record<Toast['tone'], number> = { info: 5000, success: 5000, error: 10_000 };
/** A toast the pointer just left gets at least this long before it goes. */
export const AFTER_HOLD_MS = 2000;
export const MAX_TOASTS = 4;

interface Clock {
  handle?: ReturnType<typeof setTimeout>;
  /** Time left when the clock last started or stopped, and when that was. */
  left: number;
  since: number;
}

export class ToastShelf {
  private list: Toast[] = [];
  private readonly clocks = new Map<number, Clock>();
  private held = false;
  private next = 1;

  constructor(private readonly changed: (toasts: Toast[]) => void) {}

  get toasts(): readonly Toast[] {
    return this.list;
  }

  add(tone: Toast['tone'], message: string, topic?: string): number {
    const id = this.next++;
    const replaced = topic === undefined ? [] : this.list.filter((t) => t.topic === topic);
    const kept = this.list.filter((t) => !replaced.includes(t));
    const dropped = kept.slice(0, Math.max(0, kept.length - (MAX_TOASTS - 1)));
    for (const t of [...replaced, ...dropped]) this.stopClock(t.id);
    this.set([...kept.slice(dropped.length), { id, tone, message, ...(topic !== undefined ? { topic } : {}) }]);
    this.startClock(id, TOAST_MS[tone]);
    return id;
  }

  dismiss(id: number): void {
    this.stopClock(id);
    if (this.list.some((t) => t.id === id)) this.set(this.list.filter((t) => t.id !== id));
  }

  dismissTopic(topic: string): void {
    const gone = this.list.filter((t) => t.topic === topic);
    if (gone.length === 0) return;
    for (const t of gone) this.stopClock(t.id);
    this.set(this.list.filter((t) => t.topic !== topic));
  }

  /** While held (the pointer or the focus on the toasts) no toast goes; released, each gets at least AFTER_HOLD_MS. */
  hold(on: boolean): void {
    if (on === this.held) return;
    this.held = on;
    const now = Date.now();
    for (const [id, clock] of this.clocks) {
      if (on && clock.handle !== undefined) {
        clearTimeout(clock.handle);
        this.clocks.set(id, { left: clock.left - (now - clock.since), since: now });
      } else if (!on) {
        this.startClock(id, Math.max(clock.left, AFTER_HOLD_MS));
      }
    }
  }

  private set(list: Toast[]): void {
    this.list = list;
    this.changed(list);
  }

  private startClock(id: number, left: number): void {
    this.clocks.set(id, { left, since: Date.now(), ...(this.held ? {} : { handle: setTimeout(() => this.dismiss(id), left) }) });
  }

  private stopClock(id: number): void {
    const clock = this.clocks.get(id);
    if (clock?.handle !== undefined) clearTimeout(clock.handle);
    this.clocks.delete(id);
  }
}

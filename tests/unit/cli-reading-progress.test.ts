import { describe, expect, it, vi } from 'vitest';
import { progressPrinter } from '../../app/cli/progress';

/** The CLI's bar while the data is read: redrawn on a terminal, a plain line now and then in a log. */
describe('reading progress in the terminal', () => {
  const event = (done: number, rows: number) => ({ type: 'reading' as const, file: 'census.csv', done, total: 200, rows, etaSeconds: 3 });

  it('redraws one line with the share, rows and ETA on a TTY', () => {
    const drawn: string[] = [];
    const print = progressPrinter({ out: () => undefined, err: () => undefined, isTTY: true }, (text) => drawn.push(text));
    print(event(50, 12_500));
    print(event(100, 25_000));
    expect(drawn).toHaveLength(2);
    expect(drawn[0]).toMatch(/^\r/);
    expect(drawn[0]).toContain('[######..................] 25%  12,500 rows  ETA 3s');
    expect(drawn[1]).toContain('50%  25,000 rows');
  });

  it('prints nothing into a pipe for a short read, then a plain line every few seconds', () => {
    const lines: string[] = [];
    const drawn: string[] = [];
    let now = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const print = progressPrinter({ out: (text) => lines.push(text), err: () => undefined, isTTY: false }, (text) => drawn.push(text));
      print(event(50, 12_500));
      now += 3000;
      print(event(100, 25_000));
      expect(lines).toEqual([]);
      now += 3000;
      print(event(150, 37_500));
      now += 1000;
      print(event(160, 40_000));
      expect(drawn).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^reading \[#+\.+\] 75%  37,500 rows/);
    } finally {
      clock.mockRestore();
    }
  });
});

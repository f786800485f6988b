import { describe, expect, it } from 'vitest';
import { KeyedThrottle, type ThrottleClock } from '../../src/app/keyed-throttle';

/** A manual clock: timers fire only when `advance` passes them. */
function manualClock() {
  let t = 0,
    next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: ThrottleClock = {
    now: () => t,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: t + ms, fn });
      return next++;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const due = [...timers].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
    }
    t = end;
  };
  return { clock, advance, pending: () => timers.size };
}

describe('KeyedThrottle', () => {
  it('runs the first call at once, then at most once per period per key, with the last state', () => {
    const { clock, advance } = manualClock();
    const runs: [string, number][] = [];
    const th = new KeyedThrottle(1000, (k) => runs.push([k, clock.now()]), clock);
    th.soon('a');
    expect(runs).toEqual([['a', 0]]);
    for (let i = 0; i < 8; i++) {
      advance(250);
      th.soon('a');
    }
    // 2 s of calls every 250 ms: runs at 0, 1000 and 2000, never more often.
    expect(runs.map(([, at]) => at)).toEqual([0, 1000, 2000]);
    th.soon('b'); // another key is not held back by a's period
    expect(runs.at(-1)).toEqual(['b', 2000]);
  });

  it('a pending run is dropped when the key runs now, and none is left after stop', () => {
    const { clock, advance, pending } = manualClock();
    const runs: number[] = [];
    const th = new KeyedThrottle(1000, () => runs.push(clock.now()), clock);
    th.soon('a');
    advance(100);
    th.soon('a'); // pending for t = 1000
    expect(pending()).toBe(1);
    advance(100);
    th.now('a'); // e.g. a status change: at once
    expect(runs).toEqual([0, 200]);
    expect(pending()).toBe(0);
    advance(2000);
    expect(runs).toEqual([0, 200]);
    th.soon('a');
    advance(100);
    th.soon('a');
    th.stop();
    advance(5000);
    expect(runs).toEqual([0, 200, 2200]);
  });

  it('refuses a period that is not a duration', () => {
    expect(() => new KeyedThrottle(-1, () => {})).toThrow(/periodMs/);
    expect(() => new KeyedThrottle(Number.NaN, () => {})).toThrow(/periodMs/);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { ROOM_BUDGET, ROOM_RATE, RoomBudget } from '../../src/app/room-budget';
import { DEFAULT_CONFIG } from '../../server/config';
import { MAX_GROUP_MEMBERS } from '../../src/core/group-wire';

describe('RoomBudget', () => {
  it('never hands out more rooms than it has, and serves waiters in order', async () => {
    const b = new RoomBudget(3);
    const r1 = await b.acquire(2);
    const order: string[] = [];
    const p2 = b.acquire(2).then((r) => {
      order.push('second');
      return r;
    });
    const p3 = b.acquire(1).then((r) => {
      order.push('third');
      return r;
    });
    await Promise.resolve();
    expect(b.inUse).toBe(2);
    expect(b.waiting).toBe(2); // FIFO: the 1-room request waits behind the 2-room one
    r1!();
    const r2 = await p2;
    const r3 = await p3;
    expect(order).toEqual(['second', 'third']);
    expect(b.inUse).toBe(3);
    r2!();
    r2!(); // releasing twice gives back once
    expect(b.inUse).toBe(1);
    r3!();
    expect(b.inUse).toBe(0);
  });

  it('an aborted waiter leaves the queue and gets null', async () => {
    const b = new RoomBudget(1);
    const held = await b.acquire(1);
    const ac = new AbortController();
    const p = b.acquire(1, ac.signal);
    ac.abort();
    expect(await p).toBeNull();
    expect(b.waiting).toBe(0);
    held!();
    expect(b.inUse).toBe(0);
  });

  it('under any interleaving of acquire/release the count stays within the size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 30 }),
        async (size, asks) => {
          const b = new RoomBudget(size);
          let peak = 0;
          await Promise.all(
            asks
              .filter((n) => n <= size)
              .map(async (n) => {
                const release = await b.acquire(n);
                peak = Math.max(peak, b.inUse);
                await new Promise((r) => setTimeout(r, 0));
                release!();
              }),
          );
          expect(peak).toBeLessThanOrEqual(size);
          expect(b.inUse).toBe(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses nonsense sizes (a programmer mistake)', () => {
    expect(() => new RoomBudget(0)).toThrow(RangeError);
    expect(() => new RoomBudget(2).acquire(3)).toThrow(RangeError);
  });

  describe('with a rate', () => {
    afterEach(() => void vi.useRealTimers());

    it('hands out a burst, then rooms at the rate, still in order; a request over the burst is not starved', async () => {
      vi.useFakeTimers();
      const b = new RoomBudget(100, { rate: { capacity: 4, perSecond: 2 } });
      const got: number[] = [];
      const ask = (i: number, n = 1) => void b.acquire(n).then(() => got.push(i));
      for (let i = 0; i < 6; i++) ask(i);
      ask(6, 8); // more than the burst: waits for a full bucket
      await vi.advanceTimersByTimeAsync(0);
      expect(got).toEqual([0, 1, 2, 3]);
      await vi.advanceTimersByTimeAsync(499);
      expect(got).toEqual([0, 1, 2, 3]);
      await vi.advanceTimersByTimeAsync(1);
      expect(got).toEqual([0, 1, 2, 3, 4]);
      await vi.advanceTimersByTimeAsync(500);
      expect(got).toEqual([0, 1, 2, 3, 4, 5]);
      await vi.advanceTimersByTimeAsync(1999);
      expect(got).toEqual([0, 1, 2, 3, 4, 5]);
      await vi.advanceTimersByTimeAsync(1);
      expect(got).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(b.inUse).toBe(14);
    });
  });

  it("the app's budget lets a member meet each of 49 others at once, stays under the relay's rooms per socket, and paces under its frame rate", () => {
    expect(ROOM_BUDGET).toBeGreaterThanOrEqual(2 * (MAX_GROUP_MEMBERS - 1));
    expect(ROOM_BUDGET).toBeLessThanOrEqual(DEFAULT_CONFIG.maxRoomsPerSocket);
    // A burst of subscriptions, each later unsubscribed, within the relay's per-socket bucket.
    expect(ROOM_RATE.capacity * 2).toBeLessThan(DEFAULT_CONFIG.burst);
    expect(ROOM_RATE.perSecond * 2).toBeLessThan(DEFAULT_CONFIG.maxMessagesPerSecond);
  });
});

/** The token bucket that bounds what a contact can make this browser store (src/core/rate-budget.ts). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TokenBucket } from '../../src/core/rate-budget';

describe('TokenBucket', () => {
  it('gives the burst, then the rate; a clock that goes back refills nothing', () => {
    const b = new TokenBucket({ capacity: 3, perSecond: 2 }, 1000);
    expect([b.take(1000), b.take(1000), b.take(1000), b.take(1000)]).toEqual([true, true, true, false]);
    expect(b.waitMs(1000)).toBe(500);
    expect(b.take(1500)).toBe(true);
    expect(b.take(0)).toBe(false);
    expect(b.take(1500, 0)).toBe(true);
    expect(new TokenBucket({ capacity: 1, perSecond: 0 }, 0).waitMs(0, 2)).toBe(Infinity);
    expect(() => new TokenBucket({ capacity: 0, perSecond: 1 }, 0)).toThrow(/capacity/);
    expect(() => b.take(0, -1)).toThrow(/cost/);
  });

  it('property: over any run of takes, what was granted ≤ capacity + rate × elapsed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 2000 }), cost: fc.integer({ min: 0, max: 20 }) }), {
          maxLength: 200,
        }),
        (capacity, perSecond, steps) => {
          const b = new TokenBucket({ capacity, perSecond }, 0);
          let now = 0,
            granted = 0;
          for (const s of steps) {
            now += s.dt;
            if (b.take(now, s.cost)) granted += s.cost;
            expect(granted).toBeLessThanOrEqual(capacity + (perSecond * now) / 1000 + 1e-6);
          }
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { incomingSentAt, isoTime } from '../../src/app/message-time';
import { decodeWire, encodeWire } from '../../src/core/wire';

// Review 2026-11 (docs/review-2026-11-app.md, A2): a peer's `sentAt` must neither break the
// chat's rendering nor pin a message below later ones.
describe('incoming message times', () => {
  const now = 1_790_000_000_000;
  it('the wire accepts a sentAt no Date can show (why the clamp is needed)', () => {
    const r = decodeWire(encodeWire({ type: 'chat', id: 'x1', text: 'hi', sentAt: Number.MAX_SAFE_INTEGER }));
    expect(r.ok).toBe(true);
    expect(() => new Date(Number.MAX_SAFE_INTEGER).toISOString()).toThrow(RangeError);
  });
  it('keeps a sender time from the past and clamps one from the future to the arrival', () => {
    expect(incomingSentAt(now - 5_000, now)).toBe(now - 5_000);
    expect(incomingSentAt(Number.MAX_SAFE_INTEGER, now)).toBe(now);
    expect(incomingSentAt(now + 1, now)).toBe(now);
  });
  it('every stored time renders', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (sentAt) => {
        expect(() => new Date(incomingSentAt(sentAt, now)).toISOString()).not.toThrow();
      }),
    );
  });
  it('isoTime does not throw on a time stored before the clamp', () => {
    expect(isoTime(Number.MAX_SAFE_INTEGER)).toBe('');
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

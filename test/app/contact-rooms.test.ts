/**
 * The rooms of one meeting attempt (docs/session.md §4): own reset room always (server); the
 * session room with a session (lower key = client), the contact's reset room without one or on
 * a reset (client, the higher key a little later); one of each per day near midnight.
 */
import { describe, expect, it } from 'vitest';
import { contactRoomPlan, RESET_DIAL_DELAY_MS } from '../../src/app/contact-rooms';
import { resetDaySecret, sessionDaySecret } from '../../src/net/session-derive';

const low = new Uint8Array(32).fill(1),
  high = new Uint8Array(32).fill(2);
const contactSecret = new Uint8Array(32).fill(7),
  roomKey = new Uint8Array(32).fill(9);
const plan = (me: Uint8Array, other: Uint8Array, o: { session?: boolean; reset?: boolean; days?: number[] } = {}) =>
  contactRoomPlan({
    me,
    contact: { publicKey: other, contactSecret },
    sessionRoomKey: o.session ? roomKey : null,
    resetRequested: !!o.reset,
    days: o.days ?? [100],
  });

describe('contactRoomPlan', () => {
  it('with a session: own reset room as server, the session room with the lower key as client', () => {
    expect(plan(low, high, { session: true })).toEqual([
      { kind: 'own-reset', day: 100, secret: resetDaySecret(contactSecret, low, 100), role: 'responder', delayMs: 0 },
      { kind: 'session', day: 100, secret: sessionDaySecret(roomKey, 100), role: 'initiator', delayMs: 0 },
    ]);
    expect(plan(high, low, { session: true })[1]).toMatchObject({ kind: 'session', role: 'responder' });
  });

  it("without a session, or on a reset: dial the contact's reset room (kx initiator); the higher key waits first", () => {
    for (const o of [{}, { session: true, reset: true }]) {
      expect(plan(low, high, o)[1]).toEqual({
        kind: 'peer-reset',
        day: 100,
        secret: resetDaySecret(contactSecret, high, 100),
        role: 'initiator',
        delayMs: 0,
      });
      expect(plan(high, low, o)[1]).toEqual({
        kind: 'peer-reset',
        day: 100,
        secret: resetDaySecret(contactSecret, low, 100),
        role: 'initiator',
        delayMs: RESET_DIAL_DELAY_MS,
      });
    }
    // The two sides' plans meet: one dials exactly the room the other listens in.
    expect(plan(low, high)[1]!.secret).toEqual(plan(high, low, { session: true })[0]!.secret);
  });

  it('near midnight: both kinds for each day (4 rooms)', () => {
    const p = plan(low, high, { session: true, days: [100, 101] });
    expect(p.map((a) => a.kind)).toEqual(['own-reset', 'own-reset', 'session', 'session']);
    expect(new Set(p.map((a) => Buffer.from(a.secret).toString('hex'))).size).toBe(4);
  });

  it("every attempt names the day its room belongs to, so it goes on that day's relay socket", () => {
    for (const o of [{ session: true }, {}, { session: true, reset: true }]) {
      const p = plan(low, high, { ...o, days: [100, 101] });
      for (const a of p) {
        const secret =
          a.kind === 'session'
            ? sessionDaySecret(roomKey, a.day)
            : resetDaySecret(contactSecret, a.kind === 'own-reset' ? low : high, a.day);
        expect(a.secret).toEqual(secret);
      }
      expect(p.filter((a) => a.day === 100)).toHaveLength(2);
      expect(p.filter((a) => a.day === 101)).toHaveLength(2);
    }
  });
});

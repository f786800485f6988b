/**
 * Which rooms one meeting attempt with a contact uses (docs/session.md §4), as a pure plan that
 * meet-in-rooms.ts turns into link attempts. For each day around now: always its own reset room
 * for that contact (SHS server, the kx responder); plus, with a session and no reset asked for,
 * the session's room (the lower key is the SHS client); otherwise the contact's reset room (SHS
 * client, the kx initiator), dialed a little later by the higher key. Each attempt names its UTC
 * day, so that it goes on that day's relay socket (`DaySockets`, docs/protocol-app.md §3.5).
 * @module
 */
import type { KxRole } from '../core/kx';
import { compareBytes } from '../core/identity';
import { resetDaySecret, sessionDaySecret } from '../net/session-derive';

/**
 * Without a session both sides may dial each other's reset room at once; the side with the
 * higher key dials a little later, so usually the other's dial meets its listener first.
 */
export const RESET_DIAL_DELAY_MS = 3_000;

/** One link attempt: the room's UTC day and rendezvous secret, this side's kx role (= SHS client?), a delay. */
export interface RoomAttempt {
  kind: 'own-reset' | 'peer-reset' | 'session';
  /** The UTC day the room belongs to: its socket is that day's, never another day's. */
  day: number;
  secret: Uint8Array;
  role: KxRole;
  delayMs: number;
}

/**
 * The attempts of one meeting with `contact` over `days` (from `rendezvousDays`): own reset room
 * per day, plus the session room or the contact's reset room per day (docs/session.md §4).
 */
export function contactRoomPlan(o: {
  me: Uint8Array;
  contact: { publicKey: Uint8Array; contactSecret: Uint8Array };
  sessionRoomKey: Uint8Array | null;
  resetRequested: boolean;
  days: number[];
}): RoomAttempt[] {
  const lower = compareBytes(o.me, o.contact.publicKey) < 0;
  const plan: RoomAttempt[] = o.days.map((day) => ({
    kind: 'own-reset',
    day,
    secret: resetDaySecret(o.contact.contactSecret, o.me, day),
    role: 'responder',
    delayMs: 0,
  }));
  for (const day of o.days) {
    plan.push(
      o.sessionRoomKey && !o.resetRequested
        ? {
            kind: 'session',
            day,
            secret: sessionDaySecret(o.sessionRoomKey, day),
            role: lower ? 'initiator' : 'responder',
            delayMs: 0,
          }
        : {
            kind: 'peer-reset',
            day,
            secret: resetDaySecret(o.contact.contactSecret, o.contact.publicKey, day),
            role: 'initiator',
            delayMs: lower ? 0 : RESET_DIAL_DELAY_MS,
          },
    );
  }
  return plan;
}

/**
 * One meeting with a person in the rooms of a plan (contact-rooms.ts): a link attempt per room,
 * all at once, each on the relay socket of its room's day (docs/protocol-app.md §3.5), and the
 * first link wins (first-link.ts). `ContactPeer` decides when to meet and
 * what to do with the link.
 * @module
 */
import {
  isNoRouteFailure,
  openLink,
  type LinkErrorCode,
  type LinkOptions,
  type LinkResult,
  type SecureLink,
} from '../net/link';
import type { KxRole } from '../core/kx';
import type { RoomAttempt } from './contact-rooms';
import type { MeetingContext } from './meeting';
import type { PeerRecord } from './peer-directory';
import { firstLink } from './first-link';
import { equalBytes } from '@noble/ciphers/utils.js';
import { sleep } from './sleep';

/** How long one attempt to meet at the rendezvous lasts before starting over. */
const ATTEMPT_MS = 30_000;

/**
 * A meeting's outcome: the link, with this side's kx role in the room it came from, or why none
 * (`noRoute`: the person was there but no WebRTC route was found, net/link.ts `isNoRouteFailure`).
 */
export type Met =
  { ok: true; link: SecureLink; role: KxRole } | { ok: false; code: LinkErrorCode; step: string; noRoute: boolean };

/**
 * Dials or listens in every room of `plan` until one link is up, `signal` aborts, or each attempt
 * ends (30 s); needs `ctx.relay`, whose sockets for the plan's days it holds meanwhile. The SHS server side authorizes only `who`'s key, except in
 * our own reset room.
 */
export async function meetInRooms(o: {
  ctx: MeetingContext;
  me: LinkOptions['identity'];
  who: Pick<PeerRecord, 'publicKey' | 'admitsAtOwnReset'>;
  plan: RoomAttempt[];
  signal: AbortSignal;
}): Promise<Met> {
  const { ctx, me, who } = o;
  // Each day's rooms on that day's socket: no relay connection joins two days' rooms (§3.5).
  const sockets = ctx.relay!.lease(o.plan.map((a) => a.day));
  const roles = new WeakMap<SecureLink, KxRole>();
  const tries = o.plan.map((a) => async (attempt: AbortSignal): Promise<LinkResult> => {
    if (a.delayMs) await sleep(a.delayMs, attempt);
    const ice = await ctx.ice();
    const r = await openLink({
      signaling: sockets.forDay(a.day),
      rendezvousSecret: a.secret,
      identity: me,
      iceServers: ice.iceServers,
      iceTransportPolicy: ice.iceTransportPolicy,
      features: ctx.features,
      shs:
        a.role === 'initiator'
          ? { role: 'client', serverPublicKey: who.publicKey }
          : // In our own reset room another key may complete SHS: a changed key is held (docs/key-change.md §3),
            // unless the directory refuses it (a replaced, blocked or other contact's key: contact-guard.ts).
            {
              role: 'server',
              authorize: (k) =>
                a.kind === 'own-reset' ? (who.admitsAtOwnReset?.(k) ?? true) : equalBytes(k, who.publicKey),
            },
      timeoutMs: ATTEMPT_MS,
      // Relay-only switched: this attempt's candidates may be the wrong kind, start over.
      signal: AbortSignal.any([attempt, ice.changed]),
    });
    if (r.ok) roles.set(r.link, a.role);
    return r;
  });
  const r = await firstLink(tries, o.signal).finally(() => sockets.release());
  return r.ok
    ? { ok: true, link: r.link, role: roles.get(r.link) ?? 'responder' }
    : { ok: false, code: r.code, step: r.step, noRoute: isNoRouteFailure(r) };
}

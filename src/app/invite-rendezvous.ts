/**
 * What both sides of pairing share (docs/interfaces.md, "Which side is the SHS client"): the
 * services `AppState` wires into pairing, one link attempt at an invite's rendezvous, and the
 * inbox that buffers a link's messages while a side waits for a particular one. The inviter's
 * side is invite-listener.ts, the invitee's invite-dialer.svelte.ts.
 * @module
 */
import { openLink, type LinkOptions, type LinkResult, type SecureLink } from '../net/link';
import type { WireMessage } from '../core/wire';
import type { KxRole } from '../core/kx';
import type { ContactRecord, ParleyStore } from '../store/db';
import type { MeetingContext } from './meeting';
import type { ConnectionHooks } from './connection-hooks';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';

const ATTEMPT_MS = 30_000;

/** What pairing uses besides the meeting context; `AppState` wires it (docs/app.md "Meeting context"). */
export interface PairingServices {
  readonly store: Pick<ParleyStore, 'listInvites' | 'putInvite' | 'getInvite' | 'claimInvite'>;
  readonly identity: Pick<IdentityState, 'keyPair' | 'name'>;
  readonly contacts: Pick<ContactsState, 'list' | 'get' | 'add' | 'select' | 'paired'>;
  readonly hooks: Pick<ConnectionHooks, 'error'>;
  /** Hands a new contact's verified link to its `ContactPeer`: session setup, then chat. */
  attach(contact: ContactRecord, link: SecureLink, role: KxRole, early: WireMessage[]): Promise<void>;
  /** Someone paired through our invite `inviteId` (a group invite vouches for them: docs/groups.md §4.5). */
  paired?(contact: ContactRecord, inviteId: string): void;
}

/**
 * One link attempt at an invite's rendezvous with the ICE settings of the moment (the TURN
 * credentials renewed if stale, the relay-only choice); a change of that choice aborts it.
 */
export async function attemptAtInvite(
  ctx: MeetingContext,
  identity: Pick<IdentityState, 'keyPair'>,
  secret: Uint8Array,
  shs: LinkOptions['shs'],
  signal: AbortSignal,
): Promise<LinkResult> {
  const ice = await ctx.ice();
  return openLink({
    signaling: ctx.signaling!,
    rendezvousSecret: secret,
    identity: identity.keyPair(),
    shs,
    iceServers: ice.iceServers,
    iceTransportPolicy: ice.iceTransportPolicy,
    features: ctx.features,
    timeoutMs: ATTEMPT_MS,
    signal: AbortSignal.any([signal, ice.changed]),
  });
}

/** The wire message of type `T`. */
export type WireOf<T extends WireMessage['type']> = Extract<WireMessage, { type: T }>;

/** A link's messages, buffered from the moment {@link inviteInbox} was called. */
export interface InviteInbox {
  /** The last message of `type` seen so far. */
  last<T extends WireMessage['type']>(type: T): WireOf<T> | undefined;
  /** The first message of `type`, waiting up to `timeoutMs`; undefined on timeout or when the link closed. */
  next<T extends WireMessage['type']>(type: T, timeoutMs: number): Promise<WireOf<T> | undefined>;
  /** Stops listening; returns the session messages seen, for the session setup to handle first. */
  stop(): WireMessage[];
}

/** Buffers a link's messages so that none is missed while we wait for a particular one. */
export function inviteInbox(link: SecureLink): InviteInbox {
  const seen: WireMessage[] = [];
  let wake: (() => void) | null = null;
  const off = link.onMessage((m) => {
    seen.push(m);
    wake?.();
  });
  let closed = false;
  const offClose = link.onClose(() => {
    closed = true;
    wake?.();
  });
  return {
    last<T extends WireMessage['type']>(type: T): WireOf<T> | undefined {
      return seen.filter((m): m is WireOf<T> => m.type === type).pop();
    },
    async next<T extends WireMessage['type']>(type: T, timeoutMs: number): Promise<WireOf<T> | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((m): m is WireOf<T> => m.type === type);
        if (found || closed || Date.now() >= deadline) return found;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
    },
    stop(): WireMessage[] {
      off();
      offClose();
      return seen.filter((m) => m.type === 'session-offer' || m.type === 'kx' || m.type === 'ratchet');
    },
  };
}

/**
 * Meetings of introductions (docs/groups.md §5.4): for every intro this device made or accepted
 * and whose peer it has no link with yet, a loop that meets that member in the intro's rooms of the
 * days around now (`introRoomSecret`), the lower key dialing as SHS client, through the same relay
 * sockets, ICE servers and room budget as contacts (meet-in-rooms.ts). The first link is handed to
 * `met`, which stores the member as a group peer and runs the session setup on it like any contact.
 * @module
 */
import { dialsIntro, introRoomSecret } from '../core/group-intro';
import { rendezvousDays } from '../core/rendezvous';
import type { KxRole } from '../core/kx';
import type { SecureLink } from '../net/link';
import type { IdentityState } from './identity.svelte';
import type { MeetingContext } from './meeting';
import type { RoomAttempt } from './contact-rooms';
import { meetInRooms } from './meet-in-rooms';
import { sleep } from './sleep';

/** One member to meet through an intro. */
export interface IntroTarget {
  /** Hex of their key (the intro's other side). */
  key: string;
  publicKey: Uint8Array;
  rendezvousSecret: Uint8Array;
  expiresAt: number;
}

export class IntroMeetings {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly ctx: MeetingContext,
    private readonly identity: Pick<IdentityState, 'keyPair'>,
    private readonly met: (t: IntroTarget, link: SecureLink, role: KxRole) => Promise<void>,
  ) {}

  /** Runs a loop for each target (one per member), and stops those no longer listed. */
  sync(targets: IntroTarget[]): void {
    const wanted = new Map(targets.filter((t) => t.expiresAt > Date.now()).map((t) => [t.key, t]));
    for (const [key, ac] of this.running) if (!wanted.has(key)) ac.abort();
    for (const [key, t] of wanted) {
      if (this.running.has(key)) continue;
      const ac = new AbortController();
      this.running.set(key, ac);
      void this.loop(t, AbortSignal.any([ac.signal, this.ctx.stop])).finally(() => {
        if (this.running.get(key) === ac) this.running.delete(key);
      });
    }
  }

  private async loop(t: IntroTarget, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && Date.now() < t.expiresAt && this.ctx.relay) {
      await this.ctx.relayOpen();
      if (signal.aborted) return;
      const me = this.identity.keyPair();
      const role: KxRole = dialsIntro(me.publicKey, t.publicKey) ? 'initiator' : 'responder';
      const plan: RoomAttempt[] = rendezvousDays(Date.now()).map((day) => ({
        kind: 'session',
        day,
        secret: introRoomSecret(t.rendezvousSecret, day),
        role,
        delayMs: 0,
      }));
      const release = await this.ctx.rooms.acquire(plan.length, signal);
      if (!release) return;
      const r = await meetInRooms({ ctx: this.ctx, me, who: { publicKey: t.publicKey }, plan, signal }).finally(
        release,
      );
      if (r.ok) return this.met(t, r.link, r.role);
      if (r.code === 'LINK_ABORTED') return;
      await sleep(1_000 + Math.random() * 1_000, signal);
    }
  }
}

/**
 * The inviter's side of pairing (docs/interfaces.md, "Which side is the SHS client"): listens on
 * each invite's rendezvous as SHS server, authorizing any key (the invitee is not known yet) and
 * then requiring, within a few seconds, an `invite-proof` = HMAC(inviteSecret, handshakeSecret).
 * That proof shows the peer holds the invite *and* is the end of this very handshake. The reply is
 * `invite-result`; on success the invitee is stored as a contact with
 * contactSecret = deriveContactSecret(handshakeSecret). `PairingState` makes the invites.
 * @module
 */
import { isNoRouteFailure, type SecureLink } from '../net/link';
import { verifyInviteProof } from '../core/invite';
import { deriveContactSecret } from '../core/rendezvous';
import type { InviteRefusal } from '../core/wire';
import type { InviteRecord } from '../store/db';
import type { MeetingContext } from './meeting';
import { appError } from './errors';
import { cleanName, distinctName } from './names';
import { bytesToHex as toHex } from '@noble/hashes/utils.js';
import { sleep } from './sleep';
import { pairingVerdict, type PairingVerdict } from './contact-guard';
import { attemptAtInvite, inviteInbox, type PairingServices } from './invite-rendezvous';

/** How long the inviter waits for the invite proof after the handshake. */
export const PROOF_TIMEOUT_MS = 5_000;
/** Keep answering "expired" for a while after expiry, then stop listening. */
const LISTEN_AFTER_EXPIRY_MS = 3_600_000;
const MAX_LISTENING_INVITES = 8;

/** The listening loops of the invites this person made, one per invite. */
export class InviteListener {
  private readonly listening = new Set<string>();

  /** `used` hears of an invite just claimed by an invitee, before the contact is saved. */
  constructor(
    private readonly ctx: MeetingContext,
    private readonly app: PairingServices,
    private readonly used: (inviteId: string) => void,
  ) {}

  /**
   * Resumes listening on the invites made earlier that can still be answered; returns the newest
   * one nobody has used yet and that has not expired, to be shown again.
   */
  async resume(): Promise<InviteRecord | undefined> {
    const now = Date.now();
    const open = (await this.app.store.listInvites())
      .filter((i) => i.expiresAt + LISTEN_AFTER_EXPIRY_MS > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, MAX_LISTENING_INVITES);
    for (const inv of open) this.listen(inv);
    return open.find((i) => !i.used && i.expiresAt > now);
  }

  /** Listens on `inv` until the app stops or an hour after it expired (once per invite). */
  listen(inv: InviteRecord): void {
    if (this.listening.has(inv.id)) return;
    this.listening.add(inv.id);
    void this.listenLoop(inv)
      .catch(() => this.app.hooks.error(appError('STORAGE_FAILED')))
      .finally(() => this.listening.delete(inv.id));
  }

  private async listenLoop(inv: InviteRecord): Promise<void> {
    const ctx = this.ctx;
    const signal = ctx.stop;
    while (!signal.aborted && Date.now() < inv.expiresAt + LISTEN_AFTER_EXPIRY_MS) {
      await ctx.relayOpen();
      if (signal.aborted || !ctx.signaling) return;
      const release = await ctx.rooms.acquire(1, signal);
      if (!release) return;
      const shs = { role: 'server', authorize: () => true } as const;
      const r = await attemptAtInvite(ctx, this.app.identity, inv.rendezvousSecret, shs, signal).finally(release);
      if (r.ok) {
        const link = r.link;
        await this.admit(inv.id, link).catch(() => {
          this.app.hooks.error(appError('STORAGE_FAILED'));
          void link.close().catch(() => {});
        });
      } else if (r.code === 'LINK_ABORTED') {
        if (signal.aborted) return; // else relay-only was switched: listen again under the new policy
      } else if (isNoRouteFailure(r)) {
        this.app.hooks.error(ctx.noRoute());
        await sleep(2_000, signal);
      } else if (r.code === 'LINK_HANDSHAKE_FAILED') {
        this.app.hooks.error(appError('HANDSHAKE_FAILED'));
        await sleep(2_000, signal);
      } else if (r.code !== 'LINK_TIMEOUT') await sleep(1_000, signal);
    }
  }

  /** Checks the invitee's proof, answers, and on success saves the contact. */
  private async admit(inviteId: string, link: SecureLink): Promise<void> {
    const inbox = inviteInbox(link);
    const proofMsg = await inbox.next('invite-proof', PROOF_TIMEOUT_MS);
    const hello = inbox.last('hello');
    const reject = async (reason: InviteRefusal) => {
      // `known-key` came after version 1, whose decoder refuses it: a version-1 invitee gets the
      // refusal without a reason (docs/protocol.md "Compatibility").
      const told = reason === 'known-key' && !(await link.features)?.peer ? {} : { reason };
      await link.send({ type: 'invite-result', accepted: false, ...told }).catch(() => {});
      inbox.stop();
      await link.close().catch(() => {});
    };
    if (!proofMsg) {
      inbox.stop();
      await link.close().catch(() => {});
      return;
    }
    const inv = await this.app.store.getInvite(inviteId);
    if (!inv || !verifyInviteProof(inv.inviteSecret, link.handshakeSecret, proofMsg.proof)) return reject('unknown');
    if (inv.used) return reject('used');
    if (Date.now() > inv.expiresAt) return reject('expired');
    // Redeeming an invite never changes an existing contact (contact-guard.ts): a replaced,
    // pending or blocked key is refused (the invite stays unused), a contact's current key is that contact.
    const verdict = pairingVerdict(this.app.contacts.list, link.remotePublicKey);
    if (verdict.kind === 'refused') {
      this.app.hooks.error(appError(verdict.code, verdict.contact.name));
      return reject('known-key');
    }
    if (!(await this.app.store.claimInvite(inviteId))) return reject('used');
    this.used(inviteId);
    const contact = await this.admitted(link, verdict, inbox.last('hello')?.name ?? hello?.name);
    if (!contact) return reject('unknown');
    const early = inbox.stop();
    // The inviter was the SHS server: the kx responder (docs/session.md §2).
    const attached = this.app.attach(contact, link, 'responder', early); // handlers are registered synchronously
    await link.send({ type: 'invite-result', accepted: true }).catch(() => {});
    await attached;
    this.app.paired?.(contact, inviteId);
  }

  /**
   * The contact an accepted invitee is. A contact's current key keeps its record as it is —
   * verified mark, pending key change, name — except the contact secret, which becomes this
   * pairing's (the invitee had lost us, so it holds only the new one). A new key is a new contact.
   */
  private async admitted(link: SecureLink, verdict: PairingVerdict, hello: string | undefined) {
    const contactSecret = deriveContactSecret(link.handshakeSecret);
    if (verdict.kind === 'same') return this.app.contacts.paired(verdict.contact.key, contactSecret);
    const key = toHex(link.remotePublicKey);
    const contact = {
      key,
      publicKey: link.remotePublicKey.slice(),
      name: distinctName(cleanName(hello) || 'Friend', key, this.app.contacts.list),
      contactSecret,
      addedAt: Date.now(),
      lastSeen: Date.now(),
    };
    await this.app.contacts.add(contact);
    return contact;
  }
}

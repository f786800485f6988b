/**
 * The `features-check` of one link (docs/security.md "Downgrade"): between two peers that both
 * announced, each one's first ratchet message on the link is the SHA-256 of both announcements
 * as it saw them. The ratchet authenticates it with the session's keys, which a relay or a man in
 * the middle of the link does not hold; so if an announcement was removed or altered on the way,
 * the two digests differ (or a check arrives where none was due) and the link is closed.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { announcementDigest } from '../core/features';
import { failure, type Failure } from '../core/errors';
import type { KxRole } from '../core/kx';
import type { LinkFeatures } from '../net/secure-link';
import type { SessionReceiveOutcome } from '../store/contact-sessions';

/** The kind of a ratchet message that was opened (taken, or deferred by the receive budget). */
export type OpenedKind = Extract<SessionReceiveOutcome, { status: 'ok' | 'deferred' }>['kind'];

export class LinkChecks {
  /** Our check went out on this link. */
  sent = false;
  /** The peer's check arrived (and matched). */
  private seen = false;

  /** `role`: this side's kx role on the link (the SHS client is the initiator). */
  constructor(private readonly role: KxRole) {}

  /** The digest both sides must agree on: the initiator's announcement first. */
  digest(f: LinkFeatures): Uint8Array {
    return this.role === 'initiator' ? announcementDigest(f.own, f.peer) : announcementDigest(f.peer, f.own);
  }

  /** Judges the next ratchet message taken on this link; a Failure means the link must close. */
  judge(f: LinkFeatures, r: { kind: OpenedKind; digest?: Uint8Array }): Failure | null {
    const due = f.own !== null && f.peer !== null;
    if (r.kind === 'features-check') {
      if (!due)
        return mismatch(
          "a features-check arrived on a link where the contact's announcement did not: it was removed on the way",
        );
      if (this.seen) return mismatch('a second features-check arrived on one link: a broken or hostile peer');
      this.seen = true;
      return r.digest && equalBytes(r.digest, this.digest(f))
        ? null
        : mismatch('the announcements the contact saw on this link differ from ours: one was altered on the way');
    }
    if (due && !this.seen)
      return mismatch(
        "the contact's first message in the secure session was not its features-check: an announcement was altered, or a broken peer",
      );
    return null;
  }
}

function mismatch(why: string): Failure {
  return failure('FEATURES_MISMATCH', 'receiver', 'features-check', why);
}

/**
 * When a contact's secure session is reset, and what the chat says about it (docs/key-change.md
 * §5). Pure: `ContactPeer` feeds it receive outcomes and asks for the reset it decides on.
 * @module
 */
import type { ContactRecord } from '../store/db';
import { formatTime } from './format';
import { t } from './strings';
/**
 * Consecutive undecryptable messages from one contact after which the session is reset by itself.
 * Not 1: a message delayed past the expiry of its chain's skipped keys is refused once and is
 * harmless (docs/security-ratchet.md, skipped-key expiry). 5 in a row with nothing decrypting in between
 * does not happen on a healthy session; a reset costs one kx round trip, so erring early is cheap.
 */
export const RESET_AFTER_FAILURES = 5;

/**
 * Receive failures that say "our ratchets disagree". A replay (`RATCHET_REPLAY`) is a copy of
 * something already read, which says nothing about the ratchets, and does not count.
 */
const BUSTED = new Set([
  'RATCHET_BAD_HEADER',
  'RATCHET_BAD_CIPHERTEXT',
  'RATCHET_TOO_MANY_SKIPPED',
  'RATCHET_BAD_RATCHET_KEY',
  'RATCHET_MALFORMED',
]);

/** The last reset of a contact's session, kept on the contact record (`lastReset`). */
export type ResetNotice = NonNullable<ContactRecord['lastReset']>;
/** Why a session was reset: asked for here, automatic after failures, by the contact, or a new key accepted. */
export type ResetCause = ResetNotice['cause'];

/** The cause for a pending reset's reason string (`requestReset(key, reason)`); unknown reasons count as asked. */
export function resetCause(reason: string | null): ResetCause | null {
  if (reason === null) return null;
  return (['asked', 'failures', 'contact', 'key'] as const).find((c) => c === reason) ?? 'asked';
}

/**
 * Counts consecutive busted-ratchet failures per contact. `note` returns true exactly once per
 * streak, when it reaches {@link RESET_AFTER_FAILURES}; any message that decrypts ends the streak.
 */
export class FailureStreak {
  private readonly streaks = new Map<string, number>();
  constructor(private readonly limit = RESET_AFTER_FAILURES) {}

  /** `code` is null for a message that decrypted, else the failure's code. */
  note(contact: string, code: string | null): boolean {
    if (code === null) {
      this.streaks.delete(contact);
      return false;
    }
    if (!BUSTED.has(code)) return false;
    const n = (this.streaks.get(contact) ?? 0) + 1;
    this.streaks.set(contact, n);
    return n === this.limit;
  }

  /** A new session is in place: start counting afresh. */
  clear(contact: string): void {
    this.streaks.delete(contact);
  }
}

/** What the chat's `session-notice` says. */
export function resetNoticeText(n: ResetNotice, name: string): string {
  return t.resetNotice(name, formatTime(n.at), n.cause);
}

/**
 * The reset side of the contact links (docs/key-change.md §3, §5): links that arrived in our own
 * reset room with a key other than the contact's (held, untouched, until the person decides),
 * the streak of undecryptable messages that triggers an automatic reset, and the "session was
 * reset" notice on the contact record. One desk for all contacts, owned by `ConnectionManager`
 * (the entry point for key changes); each `ContactPeer` parks callers here and reports to it.
 * @module
 */
import type { SecureLink } from '../net/secure-link';
import type { SessionSetupResult } from '../net/session-kx';
import type { WireMessage } from '../core/wire';
import type { Failure } from '../core/errors';
import type { TrafficHooks } from './session-traffic';
import type { ContactsState } from './contacts.svelte';
import { KeyChangeError } from './key-change';
import { FailureStreak, type ResetCause } from './reset-policy';
import { equalBytes } from '@noble/ciphers/utils.js';

export class ResetDesk {
  /** Counts busted-ratchet failures per contact (reset-policy.ts). */
  private readonly streak = new FailureStreak();
  /**
   * Per contact: the one link of a caller whose key change is pending. Nothing is sent on it;
   * what it sends (its session offer) is kept for the session setup after acceptance.
   */
  private readonly parked = new Map<string, { link: SecureLink; early: WireMessage[]; off: () => void }>();

  constructor(
    private readonly contacts: Pick<ContactsState, 'noteKeyChange' | 'noteReset'>,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A link in our own reset room for `key` authenticated with another key. Only someone holding
   * the pairing's contact secret can be there (docs/key-change.md §3), which is not proof of being
   * the friend: record a pending key change and hold the link without a word — no hello, no
   * session offer, no message — until the person accepts (`take`) or refuses (`drop`). A newer
   * caller replaces an older one; a key that is not a valid Ed25519 key is closed at once.
   */
  async park(key: string, link: SecureLink): Promise<void> {
    try {
      await this.contacts.noteKeyChange(key, link.remotePublicKey, this.now());
    } catch (e) {
      void link.close().catch(() => {});
      if (e instanceof KeyChangeError) return;
      throw e;
    }
    const early: WireMessage[] = [];
    const entry = {
      link,
      early,
      off: link.onMessage((m) => {
        if (early.length < 16) early.push(m);
      }),
    };
    const old = this.parked.get(key);
    this.parked.set(key, entry);
    if (old && old.link !== link) {
      old.off();
      void old.link.close().catch(() => {});
    }
    link.onClose(() => {
      if (this.parked.get(key) === entry) {
        entry.off();
        this.parked.delete(key);
      }
    });
  }

  /**
   * The held link of the caller presenting `publicKey`, if it is still open, with the messages it
   * sent meanwhile (hand them to `attach` as `early`); it is no longer held. Any other is hung up on.
   */
  take(key: string, publicKey: Uint8Array): { link: SecureLink; early: WireMessage[] } | null {
    const entry = this.parked.get(key);
    if (!entry) return null;
    this.parked.delete(key);
    entry.off();
    if (!entry.link.closed && equalBytes(entry.link.remotePublicKey, publicKey))
      return { link: entry.link, early: entry.early };
    void entry.link.close().catch(() => {});
    return null;
  }

  /** The person refused the new key: the held caller is hung up on. */
  drop(key: string): void {
    this.take(key, new Uint8Array(0));
  }

  /**
   * The `LinkTraffic` hooks that count one contact's refused ratchet messages: `reset` runs once
   * a streak reaches the limit (reset-policy.ts); `refused` sees every refusal as well.
   */
  watchDecryption(
    key: string,
    refused: (f: Failure) => void,
    reset: () => void,
  ): Pick<TrafficHooks, 'refused' | 'accepted'> {
    return {
      refused: (f) => {
        refused(f);
        if (this.streak.note(key, f.code)) reset();
      },
      accepted: () => {
        this.streak.note(key, null);
      },
    };
  }

  /** Whether a caller is being held for `key` (for tests and status). */
  holding(key: string): boolean {
    return this.parked.has(key);
  }

  /**
   * Session setup on a link finished. A fresh kx that replaced a session this side held is a
   * reset (a first session after pairing is not): it is noted on the contact for the chat's
   * `session-notice`, with `cause` = why this side forced it, or 'contact' when the other did.
   */
  async agreed(key: string, r: SessionSetupResult, held: string | null, cause: ResetCause | null): Promise<void> {
    if (!r.ok || !r.fresh) return;
    this.streak.clear(key);
    if (held !== null || cause) await this.contacts.noteReset(key, { at: this.now(), cause: cause ?? 'contact' });
  }
}

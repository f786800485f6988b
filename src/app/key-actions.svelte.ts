/**
 * What the person does about keys (docs/key-change.md): the open chat's verified mark, its
 * pending key change (§2), a session reset (§5), and replacing their own identity key (§4).
 * A store that refuses the write shows STORAGE_FAILED instead of an unhandled rejection.
 * @module
 */
import type { ConnectionManager } from './connections.svelte';
import type { ContactsState } from './contacts.svelte';
import type { IdentityState } from './identity.svelte';
import { appError, type AppError } from './errors';
import { KeyChangeError } from './key-change';

/** The app's parts the key actions use. */
export interface KeyActionParts {
  readonly identity: Pick<IdentityState, 'rotate'>;
  readonly contacts: Pick<ContactsState, 'selectedKey' | 'setVerified' | 'acceptKeyChange' | 'refuseKeyChange'>;
  connections(): Pick<ConnectionManager, 'keyAccepted' | 'keyRefused' | 'requestReset'> | null;
  /** Shows an error in the banner. */
  error(e: AppError): void;
  /** The identity was replaced: every tab starts afresh with it (docs/tabs.md §3). */
  reloadAll(): void;
}

export class KeyActions {
  /** Contacts whose session reset this person asked for and that has not finished yet. */
  resetting = $state.raw<string[]>([]);

  constructor(private readonly app: KeyActionParts) {}

  /** Marks the open chat's contact verified, or takes the mark back. */
  async setVerified(verified: boolean): Promise<void> {
    const key = this.app.contacts.selectedKey;
    if (key) await this.guard(this.app.contacts.setVerified(key, verified));
  }

  /** Accepts the open chat's new key: a session is agreed with it, then the outbox goes out (docs/key-change.md §2). */
  async acceptKeyChange(): Promise<void> {
    const key = this.app.contacts.selectedKey;
    if (key && (await this.guard(this.app.contacts.acceptKeyChange(key)))) this.app.connections()?.keyAccepted(key);
  }

  /** Keeps the open chat's old key and drops the pending change. */
  async refuseKeyChange(): Promise<void> {
    const key = this.app.contacts.selectedKey;
    if (key && (await this.guard(this.app.contacts.refuseKeyChange(key)))) this.app.connections()?.keyRefused(key);
  }

  /** "Reset secure session" for the open chat (docs/key-change.md §5); the notice comes when it is done. */
  async resetSession(): Promise<void> {
    const key = this.app.contacts.selectedKey;
    const cm = this.app.connections();
    if (!key || !cm || this.resetting.includes(key)) return;
    this.resetting = [...this.resetting, key];
    try {
      await cm.requestReset(key, 'asked');
    } finally {
      this.resetting = this.resetting.filter((k) => k !== key);
    }
  }

  /** Replaces the identity key (after the confirm step), then starts afresh with it. */
  async rotateIdentity(): Promise<void> {
    if (await this.guard(this.app.identity.rotate())) this.app.reloadAll();
  }

  /**
   * A store that refuses the write shows STORAGE_FAILED instead of an unhandled rejection; a
   * second click on a key change already settled (KEY_CHANGE_NONE_PENDING) does nothing.
   */
  private async guard(p: Promise<unknown>): Promise<boolean> {
    try {
      await p;
      return true;
    } catch (e) {
      if (!(e instanceof KeyChangeError)) this.app.error(appError('STORAGE_FAILED'));
      return false;
    }
  }
}

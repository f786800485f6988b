/**
 * Removing and blocking a contact (docs/app.md "Removing and blocking"; docs/security.md
 * "Removing and blocking contacts"), and the chat header's confirm step for removal.
 *
 * - **Remove**: the meeting loop stops (its rooms are left), the record, the session row (ratchet,
 *   outbox, inbox) go in one transaction, and with "also delete the history" every message and
 *   file transfer of the contact. Nothing keeps the key afterwards, so Parley never meets it by
 *   itself again; a later invite pairs it as a new contact.
 * - **Block**: the record stays, marked `blocked`; the loop stops and is not started again (also
 *   after a reload), our reset rooms and our invites refuse the key (contact-guard.ts), and the
 *   composer refuses to send (`CONTACT_BLOCKED`). Unblocking starts meeting it again.
 * @module
 */
import type { ParleyStore } from '../store/db';
import type { ContactsState } from './contacts.svelte';
import type { ConnectionManager } from './connections.svelte';
import type { TransfersState } from './transfers.svelte';
import type { ChatState } from './chat.svelte';

/** What removing and blocking touch (docs/app.md "Removing and blocking"). */
export interface ContactRemovalDeps {
  store: Pick<ParleyStore, 'removeContact'>;
  contacts: Pick<ContactsState, 'get' | 'forget' | 'setBlocked'>;
  connections: () => Pick<ConnectionManager, 'stopMeeting' | 'meetAgain'> | null;
  transfers: Pick<TransfersState, 'list' | 'cancel' | 'dismiss'>;
  /** The open chat moves to another contact (or none): its history is read afresh. */
  chat: Pick<ChatState, 'refresh'>;
}

/** Remove (with its confirm step) and block / unblock, for the chat header's actions. */
export class ContactRemoval {
  /** The contact whose removal waits for the person's confirmation, if any. */
  confirming = $state<string | null>(null);
  /** The confirm step's "also delete the history" box. */
  history = $state(false);

  constructor(private readonly deps: ContactRemovalDeps) {}

  /** "Remove contact…": shows the confirm step (history unticked). */
  ask(key: string): void {
    this.confirming = key;
    this.history = false;
  }

  cancel(): void {
    this.confirming = null;
  }

  /** "Remove": forgets the contact, as the confirm step says. */
  async confirm(): Promise<void> {
    const key = this.confirming;
    this.confirming = null;
    if (key) await this.remove(key, this.history);
  }

  /** Removes a contact with its session, rooms, outbox and, with `history`, its messages and transfers. */
  async remove(key: string, history: boolean): Promise<void> {
    const { store, contacts, transfers } = this.deps;
    if (!contacts.get(key)) return;
    await store.removeContact(key, history);
    // The list first: the loop, woken by the abort below, finds the contact gone and ends.
    contacts.forget(key);
    this.deps.connections()?.stopMeeting(key);
    await this.deps.chat.refresh();
    if (history)
      for (const t of transfers.list(key)) {
        try {
          transfers.cancel(key, t.id); // a finished one has nothing to cancel
        } catch {
          /* dismissed below all the same */
        }
        await transfers.dismiss(key, t.id).catch(() => {});
      }
  }

  /** Blocks a contact (stops meeting it) or unblocks it (meets it again). */
  async setBlocked(key: string, blocked: boolean): Promise<void> {
    if (!this.deps.contacts.get(key)) return;
    await this.deps.contacts.setBlocked(key, blocked);
    const cm = this.deps.connections();
    if (blocked) cm?.stopMeeting(key);
    else cm?.meetAgain(key);
  }
}

/**
 * The open chat: its history (from IndexedDB, so it survives reloads) and sending. A message
 * is written to the history and the contact's outbox in one transaction before anything goes
 * on the wire (`ContactSessions.write`, docs/session.md §3), so nothing typed is lost when the
 * friend is offline or the page is closed; it is sealed in the ratchet when a link is up.
 * @module
 */
import type { ParleyStore, MessageRecord } from '../store/db';
import type { ContactsState } from './contacts.svelte';
import type { ConnectionManager } from './connections.svelte';
import { appError } from './errors';
import { sendBlock } from './key-change';

/** Chat text longer than this is refused before it is stored (the wire format caps it too). */
export const MAX_TEXT_LENGTH = 16_000;

export class ChatState {
  messages = $state<MessageRecord[]>([]);
  private loadedFor: string | null = null;

  constructor(
    private readonly store: ParleyStore,
    private readonly contacts: ContactsState,
    private readonly connections: () => ConnectionManager | null,
  ) {}

  /** Loads the selected contact's history. */
  async refresh(): Promise<void> {
    const key = this.contacts.selectedKey;
    if (!key) { this.messages = []; this.loadedFor = null; return; }
    const list = await this.store.listMessages(key);
    if (this.contacts.selectedKey === key) { this.messages = list; this.loadedFor = key; }
  }

  /** Called when a contact's messages changed; reloads if that chat is open. */
  changed(key: string): void {
    if (key === this.contacts.selectedKey || this.loadedFor !== this.contacts.selectedKey) void this.refresh();
  }

  /** Sends text to the selected contact; returns an explanation when it cannot be sent. */
  async send(raw: string): Promise<string | null> {
    const key = this.contacts.selectedKey;
    const text = raw.replace(/\s+$/, '');
    if (!key) return 'Choose a contact first.';
    if (!text.trim()) return null;
    if (text.length > MAX_TEXT_LENGTH) return `Messages can be at most ${MAX_TEXT_LENGTH} characters.`;
    const cm = this.connections();
    if (!cm) return 'Parley is still starting; try again in a moment.';
    // A pending key change: nothing is written or sent until the person accepts (docs/key-change.md §2).
    const blocked = sendBlock(this.contacts.get(key));
    if (blocked) return `${blocked.message} ${blocked.action} (${blocked.code})`;
    try {
      await cm.sessions.write(key, text, Date.now());
    } catch {
      // The text goes back into the box (ChatView keeps it when a problem is returned).
      const e = appError('STORAGE_FAILED');
      return `${e.message} ${e.action} (${e.code})`;
    }
    await this.refresh();
    void cm.flush(key);
    return null;
  }
}

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
import { before, upsertMessage } from './message-list';
import { sendBlock } from './key-change';
import { MAX_TEXT_LENGTH } from './text-limits';
import { t } from './strings';

export { MAX_TEXT_LENGTH };

/** Messages read per page of history (docs/app.md "Chat history"). */
export const HISTORY_PAGE = 100;

export class ChatState {
  /** The loaded part of the open chat's history: the newest pages, oldest first. */
  messages = $state.raw<MessageRecord[]>([]);
  /** Older messages than the first loaded one wait in storage. */
  hasOlder = $state(false);
  private loadedFor: string | null = null;
  /** A history read in flight, and the messages changed meanwhile (applied when it lands). */
  private loading: { key: string; late: MessageRecord[] } | null = null;
  /** Told after a message was written here (the other tabs show it too: docs/tabs.md §3). */
  written: ((key: string, id: string) => void) | null = null;

  constructor(
    private readonly store: ParleyStore,
    private readonly contacts: ContactsState,
    private readonly connections: () => ConnectionManager | null,
  ) {}

  /** Loads the selected contact's history. */
  async refresh(): Promise<void> {
    const key = this.contacts.selectedKey;
    if (!key) {
      this.messages = [];
      this.hasOlder = false;
      this.loadedFor = null;
      return;
    }
    const late: MessageRecord[] = [];
    this.loading = { key, late };
    // As many pages as were shown (a reload after a receipt keeps the place), at least one.
    const keep = this.loadedFor === key ? Math.max(HISTORY_PAGE, this.messages.length) : HISTORY_PAGE;
    const page = await this.store.listMessagesPage(key, keep);
    if (this.loading?.late === late) this.loading = null;
    // Patches that came in while the history was being read may be missing from it.
    if (this.contacts.selectedKey === key) {
      const first = page.messages[0];
      this.messages = late
        .filter((m) => !page.more || !first || !before(m, first))
        .reduce(upsertMessage, page.messages);
      this.hasOlder = page.more;
      this.loadedFor = key;
    }
  }

  /** Loads the page before the oldest loaded message (the person scrolled up to it). */
  async loadOlder(): Promise<void> {
    const key = this.loadedFor;
    const first = this.messages[0];
    if (!key || !first || !this.hasOlder) return;
    const page = await this.store.listMessagesPage(key, HISTORY_PAGE, first);
    if (this.loadedFor !== key || this.messages[0] !== first) return; // another chat, or reloaded meanwhile
    this.messages = [...page.messages, ...this.messages];
    this.hasOlder = page.more;
  }

  /**
   * Called when a contact's messages changed. With the changed message (new, or marked
   * delivered) an open chat is patched in place — O(log n), not a reload of the whole history
   * (docs/app.md "Chat history"); without it, or while another chat is loaded, it reloads.
   */
  changed(key: string, m?: MessageRecord): void {
    if (m && this.loading?.key === key) {
      this.loading.late.push(m);
      if (this.loadedFor !== key) return; // the read in flight will show it
    }
    if (m && key === this.contacts.selectedKey && this.loadedFor === key) {
      // A change to a message in a page not loaded yet shows when that page loads.
      if (this.hasOlder && this.messages[0] && before(m, this.messages[0])) return;
      this.messages = upsertMessage(this.messages, m);
      return;
    }
    if (key === this.contacts.selectedKey || this.loadedFor !== this.contacts.selectedKey) void this.refresh();
  }

  /** Sends text to the selected contact; returns an explanation when it cannot be sent. */
  async send(raw: string): Promise<string | null> {
    const key = this.contacts.selectedKey;
    const text = raw.replace(/\s+$/, '');
    if (!key) return t.problem.noContact;
    if (!text.trim()) return null;
    if (text.length > MAX_TEXT_LENGTH) return t.problem.tooLong(MAX_TEXT_LENGTH);
    const cm = this.connections();
    if (!cm) return t.problem.starting;
    // A pending key change: nothing is written or sent until the person accepts (docs/key-change.md §2).
    const blocked = sendBlock(this.contacts.get(key));
    if (blocked) return `${blocked.message} ${blocked.action} (${blocked.code})`;
    let m: MessageRecord;
    try {
      m = await cm.sessions.write(key, text, Date.now());
    } catch {
      // The text goes back into the box (ChatView keeps it when a problem is returned).
      const e = appError('STORAGE_FAILED');
      return `${e.message} ${e.action} (${e.code})`;
    }
    this.changed(key, m);
    this.written?.(key, m.id);
    this.contacts.active(key, m.sentAt);
    void cm.flush(key);
    return null;
  }
}

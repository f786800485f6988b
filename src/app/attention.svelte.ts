/**
 * Unread badges, the page title, offer notices and rename lines (docs/app.md "Unread and
 * notices"). Counts are derived, not counted: a contact's unread number is its stored incoming
 * messages received after its read mark plus its unanswered incoming offers made after it, so a
 * reload shows the same numbers. Only the read marks, the last open chat and the rename lines
 * are kept (in `localStorage`: small, per browser, like the chat's scroll position would be).
 * @module
 */
import type { ParleyStore, MessageRecord } from '../store/db';
import type { ContactsState } from './contacts.svelte';
import type { TransfersState } from './transfers.svelte';
import {
  addRename,
  browserKeyValue,
  isReadMarks,
  isRenameNotes,
  isUnread,
  offerNoticeText,
  pageTitle,
  readJson,
  unreadIds,
  unseenOffers,
  writeJson,
  type KeyValue,
  type ReadMarks,
  type RenameNote,
  type RenameNotes,
} from './attention';

const READ_KEY = 'parley.readAt';
const OPEN_KEY = 'parley.openChat';
const RENAMES_KEY = 'parley.renames';

/** A notice about an incoming offer in a chat that is not open. */
export interface OfferNotice {
  key: string;
  text: string;
}

export class AttentionState {
  /** Per contact: the time up to which its chat was seen. */
  readAt = $state.raw<ReadMarks>({});
  /** Per contact: ids of incoming messages received after its read mark. */
  unread = $state.raw<Record<string, string[]>>({});
  /** Per contact: its renames, oldest first. */
  renames = $state.raw<RenameNotes>({});
  /** Whether the page is in front: in a background tab even the open chat's news are unread. */
  visible = $state(true);

  /** Unread messages + unseen pending offers per contact; 0 for the open chat. */
  readonly counts = $derived.by((): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const c of this.contacts.list) {
      if (this.seeing(c.key)) continue;
      const n =
        (this.unread[c.key]?.length ?? 0) + unseenOffers(this.transfers.list(c.key), this.readAt[c.key] ?? 0).length;
      if (n > 0) out[c.key] = n;
    }
    return out;
  });
  /** Everything unread: the title's number and the installed app's badge. */
  readonly total = $derived(Object.values(this.counts).reduce((a, b) => a + b, 0));
  readonly title = $derived(pageTitle(this.total));
  /** Told about each incoming message that becomes unread as it arrives (notifications: docs/pwa.md). */
  onUnread: ((key: string, m: MessageRecord) => void) | null = null;
  /** One notice per contact (not open) with unseen incoming offers: who, and how many files. */
  readonly notices = $derived.by((): OfferNotice[] =>
    this.contacts.list.flatMap((c) => {
      if (this.seeing(c.key)) return [];
      const files = unseenOffers(this.transfers.list(c.key), this.readAt[c.key] ?? 0).reduce(
        (n, t) => n + t.files.length,
        0,
      );
      return files > 0 ? [{ key: c.key, text: offerNoticeText(c.name, files) }] : [];
    }),
  );

  private readonly contacts: ContactsState;
  private readonly transfers: TransfersState;
  private readonly store: ParleyStore;
  private readonly kv: KeyValue;

  constructor(
    store: ParleyStore,
    contacts: ContactsState,
    transfers: TransfersState,
    kv: KeyValue = browserKeyValue(),
  ) {
    this.store = store;
    this.contacts = contacts;
    this.transfers = transfers;
    this.kv = kv;
  }

  /** The chat that was open before the reload, if that contact still exists. */
  lastOpen(): string | null {
    const k = readJson<string | null>(this.kv, OPEN_KEY, null, (v): v is string => typeof v === 'string');
    return k && this.contacts.get(k) ? k : null;
  }

  /** Reads the marks and renames and finds each contact's unread messages (one pass over the history, at startup). */
  async load(): Promise<void> {
    this.readAt = readJson(this.kv, READ_KEY, {}, isReadMarks);
    this.renames = readJson(this.kv, RENAMES_KEY, {}, isRenameNotes);
    const unread: Record<string, string[]> = {};
    for (const c of this.contacts.list)
      unread[c.key] = unreadIds(await this.store.listMessages(c.key), this.readAt[c.key] ?? 0);
    this.unread = unread;
    // The open chat counts as seen once the page is known to be in front (setVisible).
  }

  /** Re-reads one contact's unread messages from its history (when a change did not say which message). */
  async recount(key: string): Promise<void> {
    const ids = unreadIds(await this.store.listMessages(key), this.readAt[key] ?? 0);
    if (this.seeing(key)) this.markRead(key);
    else this.unread = { ...this.unread, [key]: ids };
  }

  /** The person opened this chat: everything in it is seen, and it reopens after a reload. */
  opened(key: string): void {
    this.markRead(key);
    writeJson(this.kv, OPEN_KEY, key);
  }

  /** The page went to the background or came back; back in front, the open chat is seen. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible && this.contacts.selectedKey) this.markRead(this.contacts.selectedKey);
  }

  /** A message of `key` was stored or changed: unread unless its chat is open in front. */
  message(key: string, m: MessageRecord): void {
    if (this.seeing(key)) {
      this.markRead(key);
      return;
    }
    const have = this.unread[key] ?? [];
    if (isUnread(m, this.readAt[key] ?? 0) && !have.includes(m.id)) {
      this.unread = { ...this.unread, [key]: [...have, m.id] };
      this.onUnread?.(key, m);
    }
  }

  /** An incoming offer arrived: seen at once when its chat is open in front. */
  offer(key: string): void {
    if (this.seeing(key)) this.markRead(key);
  }

  /** A contact's hello changed its name: a line in its chat says so. */
  renamed(key: string, from: string, to: string, at = Date.now()): void {
    this.renames = addRename(this.renames, key, { from, to, at });
    writeJson(this.kv, RENAMES_KEY, this.renames);
  }

  /** The rename lines of a chat, oldest first. */
  renamesOf(key: string | null): RenameNote[] {
    return key ? (this.renames[key] ?? []) : [];
  }

  private seeing(key: string): boolean {
    return this.visible && key === this.contacts.selectedKey;
  }

  private markRead(key: string): void {
    this.readAt = { ...this.readAt, [key]: Math.max(Date.now(), this.readAt[key] ?? 0) };
    if (this.unread[key]?.length) this.unread = { ...this.unread, [key]: [] };
    writeJson(this.kv, READ_KEY, this.readAt);
  }
}

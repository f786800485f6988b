/**
 * What needs the person's attention outside the open chat (docs/app.md "Unread and notices"):
 * unread counts derived from stored messages and transfers against a per-contact read mark,
 * the page title, the offer notice's words, and the chat's "is now called" lines. Plain
 * functions and a small JSON store, so they are testable without Svelte.
 * @module
 */
import type { MessageRecord } from '../store/db';
import type { TransferView } from './transfer-view';
import { t } from './strings';

/** Where the read marks and rename lines are kept: `localStorage`, or memory when it is unavailable. */
export interface KeyValue {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
}

/** A `KeyValue` in memory (tests; browsers that refuse `localStorage`). */
export function memoryKeyValue(): KeyValue {
  const m = new Map<string, string>();
  return {
    getItem: (k) => m.get(k) ?? null,
    setItem: (k, v) => {
      m.set(k, v);
    },
  };
}

/** The browser's `localStorage`, or memory when reading it throws (storage blocked). */
export function browserKeyValue(): KeyValue {
  try {
    const s = globalThis.localStorage;
    s.getItem('parley.probe');
    return s;
  } catch {
    return memoryKeyValue();
  }
}

/** A JSON value under one key; a missing or damaged value reads as `empty`; a failing write is ignored (the value stays in memory for this visit). */
export function readJson<T>(kv: KeyValue, key: string, empty: T, valid: (v: unknown) => v is T): T {
  try {
    const raw = kv.getItem(key);
    const v: unknown = raw === null ? null : JSON.parse(raw);
    return valid(v) ? v : empty;
  } catch {
    return empty;
  }
}
export function writeJson(kv: KeyValue, key: string, v: unknown): void {
  try {
    kv.setItem(key, JSON.stringify(v));
  } catch {
    /* quota or blocked: kept in memory only */
  }
}

/** Read marks: per contact key, the time (our clock) up to which everything was seen. */
export type ReadMarks = Record<string, number>;
export const isReadMarks = (v: unknown): v is ReadMarks =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'number' && Number.isFinite(x));

/** Ids of incoming messages that arrived after the read mark (by our clock, `receivedAt`). */
export function unreadIds(messages: readonly MessageRecord[], readAt: number): string[] {
  return messages.filter((m) => isUnread(m, readAt)).map((m) => m.id);
}
export function isUnread(m: MessageRecord, readAt: number): boolean {
  return m.direction === 'in' && (m.receivedAt ?? m.sentAt) > readAt;
}

/** Incoming offers still waiting for an answer that came after the read mark. */
export function unseenOffers(transfers: readonly TransferView[], readAt: number): TransferView[] {
  return transfers.filter((t) => t.direction === 'in' && t.status === 'offered' && t.createdAt > readAt);
}

/** "(3) Parley" while something is unread, "Parley" otherwise. */
export function pageTitle(total: number): string {
  return t.attention.title(total);
}

/** "Ada wants to send you 3 files — open chat". */
export function offerNoticeText(name: string, files: number): string {
  return t.attention.offerNotice(name, files);
}

/** A contact's display name changed (their hello said so), shown in the chat at that time. */
export interface RenameNote {
  from: string;
  to: string;
  at: number;
}
export type RenameNotes = Record<string, RenameNote[]>;
export const isRenameNotes = (v: unknown): v is RenameNotes =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every(
    (l) =>
      Array.isArray(l) &&
      l.every((n: unknown) => {
        const r = n as Partial<RenameNote> | null;
        return (
          typeof r === 'object' &&
          r !== null &&
          typeof r.from === 'string' &&
          typeof r.to === 'string' &&
          typeof r.at === 'number'
        );
      }),
  );

/** Renames kept per contact: the last ones only, so a contact renaming in a loop cannot grow storage. */
export const MAX_RENAME_NOTES = 20;

/** `notes` with a rename of `key` added (the oldest dropped past {@link MAX_RENAME_NOTES}). */
export function addRename(notes: RenameNotes, key: string, note: RenameNote): RenameNotes {
  return { ...notes, [key]: [...(notes[key] ?? []), note].slice(-MAX_RENAME_NOTES) };
}

/** "Ada is now called Ada L." */
export function renameText(n: RenameNote): string {
  return t.attention.renamed(n.from, n.to);
}

/**
 * The contact list and which contact's chat is open; the verified mark and a contact's pending
 * key change (docs/key-change.md), persisted on the contact record.
 * @module
 */
import type { ParleyStore, ContactRecord } from '../store/db';
import { acceptKeyChange, noteKeyChange, refuseKeyChange } from './key-change';
import type { ResetNotice } from './reset-policy';
import { cleanLabel, shownName } from './names';

export class ContactsState {
  /** Contacts, most recent activity first (docs/app.md "Contacts by last activity"). */
  list = $state.raw<ContactRecord[]>([]);
  /** Per contact, the time of its newest message (0 = none); with `addedAt`, the list's order. */
  private activity: Record<string, number> = {};
  selectedKey = $state<string | null>(null);
  readonly selected = $derived(this.list.find((c) => c.key === this.selectedKey) ?? null);

  /** Told after this tab changed a contact in the store (the other tabs re-read it: docs/tabs.md §3). */
  changed: (() => void) | null = null;

  constructor(private readonly store: ParleyStore) {}

  async load(): Promise<void> {
    const all = await this.store.listContacts();
    for (const c of all) this.activity[c.key] = await this.store.lastMessageAt(c.key);
    this.list = this.sorted(all);
    if (!this.selectedKey && this.list.length) this.selectedKey = this.list[0]!.key;
  }

  get(key: string): ContactRecord | undefined {
    return this.list.find((c) => c.key === key);
  }

  /** Saves a new (or re-paired) contact and opens its chat. */
  async add(c: ContactRecord): Promise<void> {
    await this.store.putContact(c);
    this.list = this.sorted([...this.list.filter((x) => x.key !== c.key), c]);
    this.selectedKey = c.key;
    this.changed?.();
  }

  /**
   * The contact redeemed one of our invites again with its current key (contact-guard.ts): the
   * record stays as it is — verified mark, pending key change, name — except the contact secret,
   * which becomes the new pairing's (the other side kept only that one, so the reset rooms meet).
   */
  async paired(key: string, contactSecret: Uint8Array): Promise<ContactRecord | undefined> {
    await this.update(key, (c) => ({ ...c, contactSecret: contactSecret.slice() }));
    if (this.get(key)) this.selectedKey = key;
    return this.get(key);
  }

  /** Blocks a contact, or unblocks it (docs/app.md "Removing and blocking"). */
  setBlocked(key: string, blocked: boolean): Promise<void> {
    return this.update(key, (c) => {
      const { blocked: _, ...rest } = c;
      return blocked ? { ...rest, blocked: true } : rest;
    });
  }

  /**
   * Gives the contact the person's own label (cleaned and bounded: `cleanLabel`), or takes it
   * away when nothing is left of `label`, so their chosen name shows again (docs/app.md
   * "Renaming a contact"). Their chosen name is kept apart and never changed here.
   */
  rename(key: string, label: string): Promise<void> {
    return this.update(key, (c) => withLabel(c, label));
  }

  /** Takes a removed contact off the list (the store already forgot it: contact-removal.ts). */
  forget(key: string): void {
    this.list = this.list.filter((c) => c.key !== key);
    if (this.selectedKey === key) this.selectedKey = this.list[0]?.key ?? null;
    this.changed?.();
  }

  /** Records that a link to the contact is up now (and its latest display name). */
  async touch(key: string, name?: string): Promise<void> {
    const c = await this.store.touchContact(key, Date.now(), name);
    if (c) this.list = this.sorted(this.list.map((x) => (x.key === key ? c : x)));
    if (c) this.changed?.();
  }

  select(key: string): void {
    this.selectedKey = key;
  }

  /** A message of the contact was written or arrived at `at`: it moves up the list. */
  active(key: string, at: number): void {
    if (at <= (this.activity[key] ?? 0)) return;
    this.activity[key] = at;
    this.list = this.sorted(this.list);
  }

  private sorted(list: ContactRecord[]): ContactRecord[] {
    return sortContacts(list, this.activity);
  }

  /** Marks the contact verified (the person compared safety numbers) or takes the mark back. */
  setVerified(key: string, verified: boolean): Promise<void> {
    return this.update(key, (c) => ({ ...c, verified }));
  }

  /**
   * Records that the contact presented `newKey` (docs/key-change.md §2). Returns true when a key
   * change is pending afterwards. Throws `KeyChangeError` (`KEY_CHANGE_INVALID_KEY`) for a bad key.
   */
  async noteKeyChange(key: string, newKey: Uint8Array, now = Date.now()): Promise<boolean> {
    await this.update(key, (c) => noteKeyChange(c, newKey, now));
    return !!this.get(key)?.keyChange;
  }

  /** The person accepted the pending key: it replaces the old one and the verified mark goes. */
  acceptKeyChange(key: string): Promise<void> {
    return this.update(key, acceptKeyChange);
  }

  /** The person kept the old key: the pending key change is dropped. */
  refuseKeyChange(key: string): Promise<void> {
    return this.update(key, refuseKeyChange);
  }

  /** The contact's secure session was reset (docs/key-change.md §5): the chat says so. */
  noteReset(key: string, notice: ResetNotice): Promise<void> {
    return this.update(key, (c) => ({ ...c, lastReset: notice }));
  }

  private async update(key: string, change: (c: ContactRecord) => ContactRecord): Promise<void> {
    const c = await this.store.updateContact(key, change);
    if (c) this.list = this.sorted(this.list.map((x) => (x.key === key ? c : x)));
    if (c) this.changed?.();
  }
}

/**
 * `c` with the person's label `label`, cleaned and bounded (`cleanLabel`); without a label when
 * nothing is left of it. Their chosen `name` stays as it is (docs/app.md "Renaming a contact").
 */
export function withLabel(c: ContactRecord, label: string): ContactRecord {
  const clean = cleanLabel(label);
  const { label: _, ...rest } = c;
  return clean ? { ...rest, label: clean } : rest;
}

/**
 * Most recent activity first: the newest message's time, or when the contact was added if that is
 * later (a new contact comes to the top); then by name.
 */
export function sortContacts(list: ContactRecord[], activity: Readonly<Record<string, number>>): ContactRecord[] {
  const last = (c: ContactRecord) => Math.max(activity[c.key] ?? 0, c.addedAt);
  return [...list].sort((a, b) => last(b) - last(a) || shownName(a).localeCompare(shownName(b)));
}

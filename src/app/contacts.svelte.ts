/**
 * The contact list and which contact's chat is open.
 * @module
 */
import type { ParleyStore, ContactRecord } from '../store/db';

export class ContactsState {
  list = $state<ContactRecord[]>([]);
  selectedKey = $state<string | null>(null);
  readonly selected = $derived(this.list.find((c) => c.key === this.selectedKey) ?? null);

  constructor(private readonly store: ParleyStore) {}

  async load(): Promise<void> {
    this.list = sortContacts(await this.store.listContacts());
    if (!this.selectedKey && this.list.length) this.selectedKey = this.list[0]!.key;
  }

  get(key: string): ContactRecord | undefined { return this.list.find((c) => c.key === key); }

  /** Saves a new (or re-paired) contact and opens its chat. */
  async add(c: ContactRecord): Promise<void> {
    await this.store.putContact(c);
    this.list = sortContacts([...this.list.filter((x) => x.key !== c.key), c]);
    this.selectedKey = c.key;
  }

  /** Records that a link to the contact is up now (and its latest display name). */
  async touch(key: string, name?: string): Promise<void> {
    const c = await this.store.touchContact(key, Date.now(), name);
    if (c) this.list = sortContacts(this.list.map((x) => (x.key === key ? c : x)));
  }

  select(key: string): void { this.selectedKey = key; }
}

function sortContacts(list: ContactRecord[]): ContactRecord[] {
  return [...list].sort((a, b) => a.name.localeCompare(b.name) || a.addedAt - b.addedAt);
}

/**
 * The person's own label for a contact (docs/app.md "Renaming a contact"), on the app's real
 * database code over IndexedDB (fake-indexeddb in node): kept apart from the name the contact
 * chose, kept across a reopen, cleaned and bounded like peer text, and gone when cleared.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ParleyStore, type ContactRecord } from '../../src/store/db';
import { sortContacts, withLabel } from '../../src/app/contacts.svelte';
import { shownName } from '../../src/app/names';
import { MAX_CONTACT_LABEL_BYTES } from '../../src/core/peer-text';

const KEY = 'ab'.repeat(32);
const contact = (name: string, key = KEY): ContactRecord => ({
  key,
  publicKey: new Uint8Array(32).fill(1),
  name,
  contactSecret: new Uint8Array(32).fill(2),
  addedAt: 1,
  lastSeen: 0,
});
let n = 0;

async function relabel(store: ParleyStore, label: string): Promise<ContactRecord | undefined> {
  return store.updateContact(KEY, (c) => withLabel(c, label));
}

describe('contact labels (docs/app.md "Renaming a contact")', () => {
  it('a label is stored beside the chosen name, survives a reopen, and clearing it shows their name again', async () => {
    const name = `label-${n++}`;
    let store = await ParleyStore.open(name);
    await store.putContact(contact('Alice'));
    await relabel(store, '  Mum  ');
    store.close();
    store = await ParleyStore.open(name);
    const [saved] = await store.listContacts();
    expect(saved).toMatchObject({ name: 'Alice', label: 'Mum' });
    expect(shownName(saved!)).toBe('Mum');
    // Their `hello` may change the name they chose; the label stays.
    await store.touchContact(KEY, 5, 'Alice B.');
    expect(await store.listContacts()).toMatchObject([{ name: 'Alice B.', label: 'Mum' }]);
    const cleared = await relabel(store, ' \u200B ');
    expect(cleared && 'label' in cleared).toBe(false);
    expect(shownName(cleared!)).toBe('Alice B.');
    store.close();
  });

  it('a label is cleaned like peer text: no bidi or invisible characters, at most 64 bytes', async () => {
    const store = await ParleyStore.open(`label-${n++}`);
    await store.putContact(contact('Alice'));
    expect((await relabel(store, 'Bo\u202Eb\u200B'))?.label).toBe('Bob');
    expect((await relabel(store, 'a\nb\tc'))?.label).toBe('a b c');
    const long = (await relabel(store, '🧮'.repeat(40)))?.label ?? '';
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(MAX_CONTACT_LABEL_BYTES);
    expect(long).toBe('🧮'.repeat(16));
    store.close();
  });

  it('the list orders equal activity by the shown name', () => {
    const list = [withLabel(contact('Zed', 'a'), 'Aunt'), contact('Bea', 'b')];
    expect(sortContacts(list, {}).map(shownName)).toEqual(['Aunt', 'Bea']);
  });
});

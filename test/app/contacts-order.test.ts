import { describe, expect, it } from 'vitest';
import { sortContacts } from '../../src/app/contacts.svelte';
import type { ContactRecord } from '../../src/store/db';

const c = (key: string, name: string, addedAt: number) => ({ key, name, addedAt }) as ContactRecord;

describe('contacts by last activity (docs/app.md "Contacts by last activity")', () => {
  it('the newest message first, a contact added later than any message above, then by name', () => {
    const list = [c('a', 'Ada', 1), c('b', 'Bob', 2), c('z', 'Zoe', 50), c('y', 'Yan', 3), c('x', 'Xia', 3)];
    const order = sortContacts(list, { a: 40, b: 100, y: 0 }).map((x) => x.name);
    expect(order).toEqual(['Bob', 'Zoe', 'Ada', 'Xia', 'Yan']);
    expect(list.map((x) => x.name)).toEqual(['Ada', 'Bob', 'Zoe', 'Yan', 'Xia']); // not changed in place
  });
});

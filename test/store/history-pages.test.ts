/** The history read in pages (docs/app.md "Chat history") and the "sent" mark, over fake-indexeddb. */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ParleyStore, type MessageRecord } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';

const C = 'c0'.repeat(32);

async function withHistory(n: number, sameTime = 3) {
  const store = await ParleyStore.open(`pages-${Math.random()}`);
  const all: MessageRecord[] = [];
  const tx = store.database.transaction('messages', 'readwrite');
  for (let i = 0; i < n; i++) {
    // Groups of `sameTime` messages share a sentAt: pages must split ties by id, like the index.
    const m: MessageRecord = {
      contact: C,
      id: `m${String(i).padStart(5, '0')}`,
      direction: i % 2 ? 'in' : 'out',
      text: `#${i}`,
      sentAt: 1000 + Math.floor(i / sameTime),
      delivered: true,
    };
    all.push(m);
    await tx.store.put(m);
  }
  // Another contact's messages never show up.
  await tx.store.put({ ...all[0]!, contact: 'ff'.repeat(32), id: 'other' });
  await tx.done;
  return { store, all };
}

describe('ParleyStore.listMessagesPage', () => {
  it('walks the whole history backwards in pages, oldest first within each, none lost or repeated', async () => {
    const { store, all } = await withHistory(250);
    const seen: MessageRecord[] = [];
    let page = await store.listMessagesPage(C, 40);
    seen.unshift(...page.messages);
    while (page.more) {
      page = await store.listMessagesPage(C, 40, seen[0]);
      seen.unshift(...page.messages);
    }
    expect(seen.map((m) => m.id)).toEqual(all.map((m) => m.id));
    expect((await store.listMessagesPage(C, 1000)).more).toBe(false);
  });
  it('the first page is the newest messages', async () => {
    const { store, all } = await withHistory(10);
    const page = await store.listMessagesPage(C, 4);
    expect(page.messages.map((m) => m.id)).toEqual(all.slice(6).map((m) => m.id));
    expect(page.more).toBe(true);
    await expect(store.listMessagesPage(C, 0)).rejects.toThrow(/limit must be/);
  });
});

describe('ContactSessions.markSent', () => {
  it('marks an outgoing message once, never an incoming or delivered one', async () => {
    const { store } = await withHistory(4);
    const sessions = new ContactSessions(store.database);
    const tx = store.database.transaction('messages', 'readwrite');
    await tx.store.put({ contact: C, id: 'new', direction: 'out', text: 'x', sentAt: 5000, delivered: false });
    await tx.done;
    expect(await sessions.markSent(C, 'new', 7)).toBe(true);
    expect(await sessions.markSent(C, 'new', 9)).toBe(false);
    expect((await store.getMessage(C, 'new'))?.sentOnLink).toBe(7);
    expect(await sessions.markSent(C, 'm00001', 7)).toBe(false); // incoming
    expect(await sessions.markSent(C, 'm00000', 7)).toBe(false); // delivered already
    expect(await sessions.markSent(C, 'missing', 7)).toBe(false);
  });
});

/**
 * The mailbox courier's marks in the app's database (src/store/mailbox-marks.ts), on the app's own
 * store code over IndexedDB (fake-indexeddb): a message is marked as left at the relay once, only
 * while it waits for its receipt; the drained day moves forward only, only for the session it was
 * drained under, and makes a concurrent receive start again instead of writing over it.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { drainSince, markLeftAtRelay, noteDrained } from '../../src/store/mailbox-marks';
import { pair } from '../core/ratchet-helpers';

const C = 'c1'.repeat(32);
const DAY = 86_400_000;

async function setUp() {
  const store = await ParleyStore.open(`marks-${Math.random()}`);
  const sessions = new ContactSessions(store.database, () => 20_000 * DAY + 5);
  const { b } = await pair('marks');
  await sessions.install(C, {
    id: 'aa'.repeat(32),
    role: 'responder',
    state: b,
    roomKey: new Uint8Array(32),
    peerKemPublicKey: new Uint8Array(1184),
  });
  return { store, sessions, db: store.database };
}

describe('mailbox marks', () => {
  it('marks an outgoing message once, and never one that was delivered or is not ours', async () => {
    const { store, sessions, db } = await setUp();
    const m = await sessions.write(C, 'hi', 1);
    expect(await markLeftAtRelay(db, C, m.id, 100)).toBe(true);
    expect(await markLeftAtRelay(db, C, m.id, 200)).toBe(false);
    expect((await store.getMessage(C, m.id))?.mailboxAt).toBe(100);
    await db.put('messages', { ...(await store.getMessage(C, m.id))!, delivered: true, mailboxAt: undefined });
    expect(await markLeftAtRelay(db, C, m.id, 300)).toBe(false);
    expect(await markLeftAtRelay(db, C, 'no-such-id', 300)).toBe(false);
    await expect(markLeftAtRelay(db, C, m.id, -1)).rejects.toThrow(/at must be a time/);
  });

  it('drains from the session’s first day (less the skew) until a complete drain is noted, then from that day', async () => {
    const { sessions, db } = await setUp();
    const row = (await sessions.row(C))!;
    expect(drainSince(row, row.session!, 10 * 60_000)).toBe(19_999); // agreed 5 ms after midnight
    await noteDrained(db, C, row.session!.id, 20_003);
    await noteDrained(db, C, row.session!.id, 20_001); // never backwards
    await noteDrained(db, C, 'bb'.repeat(32), 20_009); // another session's note is dropped
    const after = (await sessions.row(C))!;
    expect(after.mailboxDrained).toEqual({ session: row.session!.id, day: 20_003 });
    expect(after.version).toBe(row.version + 1);
    expect(drainSince(after, after.session!, 0)).toBe(20_003);
    // A new session starts its own series.
    expect(drainSince(after, { ...after.session!, id: 'cc'.repeat(32) }, 0)).toBe(20_000);
  });
});

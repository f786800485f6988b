/**
 * `ContactSessions.receive` under the receive budget (docs/outbox.md §5), on the app's real
 * database code over IndexedDB (fake-indexeddb in node): a message the budget does not take is
 * deferred — its ratchet step spent, nothing stored, no receipt — and arrives when sent again;
 * text held for an earlier message stays within MAX_HELD_TEXT_BYTES.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { encrypt, type RatchetState } from '../../src/core/ratchet';
import { encodeWire } from '../../src/core/wire';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions, MAX_HELD_TEXT_BYTES } from '../../src/store/contact-sessions';
import { pair } from '../core/ratchet-helpers';

const C = 'c0'.repeat(32),
  STREAM = 'AAAAAAAAAAA';

async function setUp() {
  const store = await ParleyStore.open(`budget-${Math.random()}`);
  const sessions = new ContactSessions(store.database);
  const { a, b } = await pair('budget');
  await sessions.install(C, {
    id: 'ab'.repeat(32),
    role: 'responder',
    state: b,
    roomKey: new Uint8Array(32),
    peerKemPublicKey: new Uint8Array(1184),
  });
  let sender: RatchetState = a;
  const seal = (seq: number, text: string) => {
    const e = encrypt(sender, encodeWire({ type: 'chat', id: `${STREAM}-${seq}`, text, sentAt: 1 }));
    sender = e.state;
    return e.message;
  };
  return { store, sessions, seal };
}

describe('ContactSessions.receive with a receive budget', () => {
  it('a chat the budget refuses is deferred (nothing stored, no receipt) and taken when sent again', async () => {
    const { store, sessions, seal } = await setUp();
    const asked: number[] = [];
    const r = await sessions.receive(C, seal(1, 'héllo'), (bytes) => (asked.push(bytes), false));
    expect(r).toEqual({ status: 'deferred', kind: 'chat', bound: 'budget' });
    expect(asked).toEqual([6]); // UTF-8 bytes of the text
    expect(await store.listMessages(C)).toEqual([]);
    // Sent again (sealed anew, as the sender's outbox does): taken now.
    const again = await sessions.receive(C, seal(1, 'héllo'), () => true);
    expect(again).toMatchObject({ status: 'ok', kind: 'chat', delivered: 1, receipts: [`${STREAM}-1`] });
    // A repeat is never charged to the budget.
    const repeat = await sessions.receive(C, seal(1, 'héllo'), () => {
      throw new Error('a repeat must not be asked about');
    });
    expect(repeat).toMatchObject({ status: 'ok', delivered: 0, receipts: [`${STREAM}-1`] });
    expect((await store.listMessages(C)).map((m) => m.text)).toEqual(['héllo']);
  });

  it('text held for an earlier message never passes MAX_HELD_TEXT_BYTES; the rest is deferred and comes again', async () => {
    const { store, sessions, seal } = await setUp();
    const big = 'x'.repeat(60 * 1024);
    const outcomes: string[] = [];
    for (let seq = 2; seq <= 40; seq++) {
      const r = await sessions.receive(C, seal(seq, big), () => true);
      outcomes.push(r.status === 'deferred' ? `deferred:${r.bound}` : r.status);
    }
    const row = await sessions.row(C);
    const held = row!.inbox.streams.flatMap((s) => s.held).reduce((n, h) => n + h.payload.text.length, 0);
    expect(held).toBeLessThanOrEqual(MAX_HELD_TEXT_BYTES);
    expect(outcomes.filter((o) => o === 'ok').length).toBe(Math.floor(MAX_HELD_TEXT_BYTES / big.length));
    expect(outcomes).toContain('deferred:held');
    // Message 1 arrives: the held ones are delivered in order; the deferred ones come again later.
    const first = await sessions.receive(C, seal(1, 'first'), () => true);
    expect(first).toMatchObject({ status: 'ok', delivered: 1 + Math.floor(MAX_HELD_TEXT_BYTES / big.length) });
    expect((await store.listMessages(C)).length).toBe(first.status === 'ok' ? first.delivered : -1);
  });
});

/**
 * The app's session store on Chromium's IndexedDB (docs/session.md §3; harness page
 * test/browser-sessions): Alice in node holds the initiator's ratchet, Bob's page the real
 * `ContactSessions`. A replayed ratchet message is stored once; a re-encrypted resend of a stored
 * id is recognised; messages out of order are handed over in order; a non-chat inner message is
 * refused; Bob's sealed messages decrypt at Alice; and a version 1 database migrates its unsent
 * messages into the new outbox.
 */
import { expect, test, type Page } from '@playwright/test';
import { serveHarnessPage, type HarnessPage } from './support/harness-page';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decrypt, encrypt, generateRatchetKeyPair, initInitiator, initResponder, serializeState, type RatchetState } from '../src/core/ratchet';
import { decodeWire, encodeWire, type WireMessage } from '../src/core/wire';
import type { Harness } from '../test/browser-sessions/main';

let harness: HarnessPage;
test.beforeAll(async () => { harness = await serveHarnessPage('test/browser-sessions'); });
test.afterAll(async () => { await harness?.close(); });

type H = { harness: Harness };
const call = <A extends unknown[], R>(page: Page, f: (h: Harness, ...a: A) => R | Promise<R>, ...args: A) =>
  page.evaluate(({ src, args }) => (new Function('h', 'args', `return (${src})(h, ...args)`))((window as unknown as H).harness, args), { src: f.toString(), args }) as Promise<Awaited<R>>;

async function pair() {
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const sessionKey = random(32), bobKeys = generateRatchetKeyPair(random), ad = utf8ToBytes('contact-sessions-test');
  let alice: RatchetState = await initInitiator({ sessionKey, remoteRatchetKey: bobKeys.publicKey, ad, random });
  const bob = JSON.stringify(serializeState(initResponder({ sessionKey, ratchetKeyPair: bobKeys, ad })));
  return {
    bob,
    seal(m: WireMessage): string { const r = encrypt(alice, encodeWire(m)); alice = r.state; return bytesToHex(r.message); },
    async open(hex: string): Promise<WireMessage> {
      const r = await decrypt(alice, hexToBytes(hex), Date.now());
      if (!r.ok) throw new Error(r.message);
      alice = r.newState;
      const w = decodeWire(r.plaintext);
      if (!w.ok) throw new Error(w.message);
      return w.message;
    },
  };
}

test('a replayed ratchet message is stored once; a re-encrypted resend is a duplicate; out of order is handed over in order', async ({ page }) => {
  await page.goto(harness.url);
  await call(page, (h, n: string) => h.open(n), `sessions-${Date.now()}`);
  const alice = await pair();
  await call(page, (h, s: string) => h.install(s), alice.bob);
  const chat = (seq: number, text: string): WireMessage => ({ type: 'chat', id: `AliceStream-${seq}`, text, sentAt: 1_000 + seq });

  const first = alice.seal(chat(1, 'one'));
  expect(await call(page, (h, w: string) => h.receive(w), first)).toEqual({ status: 'ok', kind: 'chat', delivered: 1, receipts: ['AliceStream-1'] });
  // The same bytes again (a relay or a peer replaying): the key is spent, nothing is stored.
  expect(await call(page, (h, w: string) => h.receive(w), first)).toEqual({ status: 'replay', code: 'RATCHET_REPLAY' });
  // The same id sealed again (a resend under a later ratchet step): recognised, receipted again.
  expect(await call(page, (h, w: string) => h.receive(w), alice.seal(chat(1, 'one')))).toEqual({ status: 'ok', kind: 'chat', delivered: 0, receipts: ['AliceStream-1'] });
  // 3 before 2: held, then both in order.
  const [w2, w3] = [alice.seal(chat(2, 'two')), alice.seal(chat(3, 'three'))];
  expect(await call(page, (h, w: string) => h.receive(w), w3)).toEqual({ status: 'ok', kind: 'chat', delivered: 0, receipts: [] });
  expect(await call(page, (h, w: string) => h.receive(w), w2)).toEqual({ status: 'ok', kind: 'chat', delivered: 2, receipts: ['AliceStream-2', 'AliceStream-3'] });
  // A message type that has no business inside the ratchet: refused.
  expect(await call(page, (h, w: string) => h.receive(w), alice.seal({ type: 'hello', name: 'Mallory' }))).toEqual({ status: 'rejected', code: 'SESSION_BAD_PAYLOAD' });
  const history = await call(page, (h) => h.messages());
  expect(history.map((m) => m.text)).toEqual(['one', 'two', 'three']);

  // Bob answers (he can send now that Alice's first message arrived); Alice reads it, receipts it.
  const id = await call(page, (h, t: string) => h.write(t), 'a reply from Bob');
  const sealed = await call(page, (h, i: string) => h.seal(i), id);
  expect(await alice.open(sealed!)).toMatchObject({ type: 'chat', id, text: 'a reply from Bob' });
  // Sealing the same entry again on this session gives the same bytes (nothing re-encrypted, no key spent).
  expect(await call(page, (h, i: string) => h.seal(i), id)).toBe(sealed);
  expect(await call(page, (h, w: string) => h.receive(w), alice.seal({ type: 'receipt', id }))).toEqual({ status: 'ok', kind: 'receipt', delivered: 0, receipts: [] });
  expect((await call(page, (h) => h.messages())).find((m) => m.id === id)).toMatchObject({ delivered: true });
});

test('a version 1 database migrates: unsent messages move into the new outbox in order, the rest stays', async ({ page }) => {
  await page.goto(harness.url);
  const name = `migrate-${Date.now()}`;
  await call(page, (h, n: string) => h.makeV1(n), name);
  await call(page, (h, n: string) => h.open(n), name);
  expect(await call(page, (h, n: string) => h.storeNames(n), name)).toEqual({ names: ['contacts', 'identity', 'invites', 'messages', 'sessions'], version: 2 });
  const row = await call(page, (h) => h.row()) as { session: null; outbox: { stream: string; entries: { id: string }[] } };
  expect(row.session).toBeNull();
  const ids = row.outbox.entries.map((e) => e.id);
  expect(ids).toEqual([`${row.outbox.stream}-1`, `${row.outbox.stream}-2`]);
  const history = await call(page, (h) => h.messages());
  expect(history.map((m) => [m.text, m.delivered])).toEqual([['delivered long ago', true], ['a reply', true], ['unsent first', false], ['unsent second', false]]);
  expect(history.filter((m) => !m.delivered).map((m) => m.id)).toEqual(ids);
  expect(history.map((m) => m.id)).not.toContain('oldUnsentA');
});

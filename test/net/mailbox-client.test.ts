/**
 * MailboxClient (src/net/mailbox-client.ts, docs/net.md "Mailbox client") against the real relay:
 * a sealed blob left by one client at the recipient's daily address is fetched, opened and
 * acknowledged by the other; every refusal comes back as its typed failure; a relay that keeps no
 * mailboxes, one that never answers, and no relay at all are failures too, never exceptions.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { mailboxAddress, mailboxDays, openMailboxBlob, sealMailboxBlob } from '../../src/core/mailbox';
import { MailboxClient } from '../../src/net/mailbox-client';
import { mailboxDaySecret } from '../../src/net/session-derive';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import { startTestRelay, type TestRelay } from '../support/relay';

const WS = WebSocket as unknown as WebSocketConstructor;
const rnd = (n: number) => Uint8Array.from(randomBytes(n));
const text = (s: string) => new TextEncoder().encode(s);

const opened: { close(): void }[] = [];
let relay: TestRelay | null = null;
afterEach(async () => {
  for (const o of opened.splice(0)) o.close();
  await relay?.close();
  relay = null;
});

function mailbox(url: string, timeoutMs?: number): { signaling: SignalingClient; mailbox: MailboxClient } {
  const signaling = new SignalingClient(url, { WebSocket: WS, minBackoffMs: 20, maxBackoffMs: 200 });
  const m = new MailboxClient(signaling, timeoutMs ? { timeoutMs } : {});
  opened.push(m, signaling);
  return { signaling, mailbox: m };
}

async function ready(s: SignalingClient): Promise<void> {
  for (let i = 0; i < 500 && (s.status !== 'open' || s.relayInfo === null); i++)
    await new Promise((r) => setTimeout(r, 10));
  if (s.status !== 'open') throw new Error('signaling did not open');
}

describe('MailboxClient', () => {
  it('Alice leaves three messages at Bob’s address for today; Bob fetches, opens and acknowledges them, in order', async () => {
    relay = await startTestRelay();
    const roomKey = rnd(32);
    const bobKey = rnd(32);
    const day = mailboxDays(Date.now(), 7 * 86400).at(-1)!;
    const secret = mailboxDaySecret(roomKey, bobKey, day);
    const address = mailboxAddress(secret);
    const alice = mailbox(relay.url);
    await ready(alice.signaling);
    const texts = ['one', 'two', 'x'.repeat(5000)];
    for (const t of texts)
      expect(await alice.mailbox.put(address, sealMailboxBlob(secret, text(t), rnd))).toMatchObject({ ok: true });
    alice.signaling.close();

    const bob = mailbox(relay.url);
    await ready(bob.signaling);
    const got = await bob.mailbox.fetchAll(address);
    if (!got.ok) throw new Error(got.message);
    expect(got.blobs.map((b) => b.data.length)).toEqual([1024, 1024, 16384]);
    const plain = got.blobs.map((b) => {
      const r = openMailboxBlob(secret, b.data);
      if (!r.ok) throw new Error(r.message);
      return new TextDecoder().decode(r.plaintext);
    });
    expect(plain).toEqual(texts);
    expect(
      await bob.mailbox.ack(
        address,
        got.blobs.map((b) => b.id),
      ),
    ).toEqual({ ok: true, deleted: 3 });
    expect(await bob.mailbox.fetchAll(address)).toEqual({ ok: true, blobs: [] });
  });

  it('pages through more than one answer’s worth of blobs', async () => {
    relay = await startTestRelay({ mailboxMaxBlobs: 20, mailboxIpBytesPerMinute: 8 << 20 });
    const { signaling, mailbox: m } = mailbox(relay.url);
    await ready(signaling);
    const secret = rnd(32);
    const address = mailboxAddress(secret);
    for (let i = 0; i < 12; i++)
      expect((await m.put(address, sealMailboxBlob(secret, rnd(30_000), rnd))).ok).toBe(true);
    const first = await m.fetch(address);
    expect(first.ok && first.more).toBe(true); // 12 × 43 691 characters is over one 256 KiB answer
    const all = await m.fetchAll(address);
    expect(all.ok && all.blobs.map((b) => b.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
  });

  it('returns each refusal as its typed failure', async () => {
    relay = await startTestRelay({ mailboxMaxBlobs: 1, mailboxMaxBytes: 4096 });
    const { signaling, mailbox: m } = mailbox(relay.url);
    await ready(signaling);
    const secret = rnd(32);
    const address = mailboxAddress(secret);
    expect((await m.put(address, sealMailboxBlob(secret, text('a'), rnd))).ok).toBe(true);
    expect(await m.put(address, sealMailboxBlob(secret, text('b'), rnd))).toMatchObject({
      ok: false,
      code: 'MAILBOX_FULL',
      side: 'server',
    });
    expect(await m.put(mailboxAddress(rnd(32)), sealMailboxBlob(secret, rnd(10_000), rnd))).toMatchObject({
      ok: false,
      code: 'MAILBOX_TOO_LARGE', // known from the relay's welcome: not even sent
    });
    await expect(m.put(address, rnd(1000))).rejects.toThrow(/sealed mailbox blob/);
    await expect(m.fetch('not an address')).rejects.toThrow(/address/);
  });

  it('fails with MAILBOX_OFFLINE without a relay, and when the connection drops before the answer', async () => {
    relay = await startTestRelay();
    const { signaling, mailbox: m } = mailbox(relay.url);
    await ready(signaling);
    const secret = rnd(32);
    const pending = m.fetch(mailboxAddress(secret));
    relay.dropAll();
    const r = await pending;
    // Either the answer came first, or the drop did: never an exception, never a hang.
    expect(r.ok || (!r.ok && r.code === 'MAILBOX_OFFLINE')).toBe(true);
    await relay.close();
    relay = null;
    expect(await m.put(mailboxAddress(secret), sealMailboxBlob(secret, text('x'), rnd))).toMatchObject({
      ok: false,
      code: 'MAILBOX_OFFLINE',
      side: 'local',
    });
  });

  it('fails with MAILBOX_UNSUPPORTED on a relay of protocol 1, and MAILBOX_TIMEOUT on one that never answers', async () => {
    const servers: WebSocketServer[] = [];
    const serve = async (answer: boolean): Promise<string> => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      servers.push(wss);
      await new Promise((r) => wss.once('listening', r));
      wss.on('connection', (ws) =>
        ws.on('message', () => {
          if (answer) ws.send('{"type":"error","code":"unknown-type","message":"unknown message type"}');
        }),
      );
      return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/signal`;
    };
    try {
      const old = mailbox(await serve(true));
      await ready(old.signaling);
      const secret = rnd(32);
      expect(await old.mailbox.fetch(mailboxAddress(secret))).toMatchObject({ ok: false, code: 'MAILBOX_UNSUPPORTED' });
      const mute = mailbox(await serve(false), 300);
      for (let i = 0; i < 200 && mute.signaling.status !== 'open'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await mute.mailbox.ack(mailboxAddress(secret), ['1'])).toMatchObject({
        ok: false,
        code: 'MAILBOX_TIMEOUT',
      });
    } finally {
      for (const wss of servers) {
        for (const c of wss.clients) c.terminate();
        await new Promise((r) => wss.close(r));
      }
    }
  });
});

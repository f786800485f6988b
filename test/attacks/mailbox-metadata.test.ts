/**
 * Attack: an honest-but-curious relay operator keeps everything the mailbox stores and every
 * address it is asked for (test/support/recording-relay.ts). Claims under test (DESIGN.md "What
 * the signaling server may learn", docs/relay.md "Mailbox"):
 * - what it stores holds no identity or KEM key, session or room key, mailbox secret, name or
 *   message text, in any common encoding — only addresses and padded sealed blobs;
 * - one contact's mailbox addresses on two days have nothing in common it could match.
 * Real parts: a kx between two identities, the ratchets it seeds, chat as the app's wire
 * messages inside the ratchet, sealed and padded mailbox blobs, MailboxClient over the real relay.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ratchetFromKx } from '../../src/core/kx';
import { mailboxAddress, openMailboxBlob, sealMailboxBlob } from '../../src/core/mailbox';
import { decrypt, encrypt, type RatchetState } from '../../src/core/ratchet';
import { decodeWire, encodeWire } from '../../src/core/wire';
import { MailboxClient } from '../../src/net/mailbox-client';
import { mailboxDaySecret, sessionRoomKey } from '../../src/net/session-derive';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import { runKx } from '../core/kx-helpers';
import { findLeaks, type Secret } from '../support/leakscan';
import { startRecordingRelay, type RecordingRelay } from '../support/recording-relay';

const WS = WebSocket as unknown as WebSocketConstructor;
const rnd = (n: number) => Uint8Array.from(randomBytes(n));

let relay: RecordingRelay | null = null;
const open: { close(): void }[] = [];
afterEach(async () => {
  open.splice(0).forEach((o) => o.close());
  await relay?.close();
  relay = null;
});

/** A fresh connection to the relay (a tab opened that day), ready for mailbox requests. */
async function connect(url: string): Promise<MailboxClient> {
  const s = new SignalingClient(url, { WebSocket: WS, minBackoffMs: 20 });
  const m = new MailboxClient(s);
  open.push(m, s);
  for (let i = 0; i < 500 && (s.status !== 'open' || !s.relayInfo); i++) await new Promise((r) => setTimeout(r, 10));
  return m;
}

describe('what a recording relay learns from the mailbox', () => {
  it('stores only addresses and padded sealed blobs, and cannot link one contact’s addresses across days', async () => {
    relay = await startRecordingRelay();
    const kx = runKx('mailbox-metadata');
    let alice: RatchetState = await ratchetFromKx(kx.resultA, { random: rnd });
    let bob: RatchetState = await ratchetFromKx(kx.resultB, { random: rnd });
    const roomKey = sessionRoomKey(kx.resultA);
    expect(sessionRoomKey(kx.resultB)).toEqual(roomKey);
    const bobKey = kx.B.ed25519.publicKey;
    const days = [20_427, 20_428];
    const texts = [
      ['Meet me at the old mill at nine', 'Bring the blue folder'],
      ['Alice here: the folder is in the car'],
    ];

    // Alice, on each day, leaves her chat at Bob's mailbox address for that day, then leaves.
    for (const [i, day] of days.entries()) {
      const m = await connect(relay.signalUrl);
      const secret = mailboxDaySecret(roomKey, bobKey, day);
      for (const [n, text] of texts[i]!.entries()) {
        const chat = encodeWire({ type: 'chat', id: `q3XbV0c9ZtE-${i * 10 + n + 1}`, text, sentAt: 1_765_000_000_000 });
        const sealed = encrypt(alice, chat, rnd);
        alice = sealed.state;
        const blob = sealMailboxBlob(secret, encodeWire({ type: 'ratchet', data: sealed.message }), rnd);
        expect(await m.put(mailboxAddress(secret), blob)).toMatchObject({ ok: true });
      }
      m.close();
    }

    // Bob comes online and drains both days: every message, in order, once.
    const m = await connect(relay.signalUrl);
    const read: string[] = [];
    for (const day of days) {
      const secret = mailboxDaySecret(roomKey, bobKey, day);
      const got = await m.fetchAll(mailboxAddress(secret));
      if (!got.ok) throw new Error(got.message);
      for (const b of got.blobs) {
        const opened = openMailboxBlob(secret, b.data);
        if (!opened.ok) throw new Error(opened.message);
        const outer = decodeWire(opened.plaintext);
        if (!outer.ok || outer.message.type !== 'ratchet') throw new Error('not a ratchet message');
        const r = await decrypt(bob, outer.message.data, Date.now());
        if (!r.ok) throw new Error(r.message);
        bob = r.newState;
        const inner = decodeWire(r.plaintext);
        if (inner.ok && inner.message.type === 'chat') read.push(inner.message.text);
      }
      expect(
        await m.ack(
          mailboxAddress(secret),
          got.blobs.map((b) => b.id),
        ),
      ).toMatchObject({ ok: true });
    }
    expect(read).toEqual(texts.flat());

    const stored = relay.mailbox;
    expect(stored.filter((e) => e.op === 'mailbox-put')).toHaveLength(3);
    const secrets: Secret[] = [
      ...texts.flat().map((t) => ({ label: `message text "${t}"`, value: t })),
      { label: 'display name', value: 'Alice here' },
      { label: 'room key', value: roomKey },
      { label: 'session key', value: kx.resultA.sessionKey },
      { label: 'transcript hash', value: kx.resultA.transcriptHash },
      ...days.map((d) => ({ label: `mailbox secret of day ${d}`, value: mailboxDaySecret(roomKey, bobKey, d) })),
    ];
    for (const [name, id] of [
      ['Alice', kx.A],
      ['Bob', kx.B],
    ] as const) {
      secrets.push(
        { label: `${name}: Ed25519 public key`, value: id.ed25519.publicKey },
        { label: `${name}: Ed25519 secret key`, value: id.ed25519.secretKey },
        { label: `${name}: ML-KEM public key`, value: id.kem.publicKey },
      );
    }
    const everything = stored.flatMap((e) => [
      e.address,
      ...(e.data ? [e.data, Buffer.from(e.data, 'base64url')] : []),
    ]);
    expect(findLeaks(secrets, everything)).toEqual([]);
    // Only size classes are stored: short texts all look the same.
    expect(new Set(stored.filter((e) => e.data).map((e) => Buffer.from(e.data!, 'base64url').length))).toEqual(
      new Set([1024]),
    );

    // Day one's address appears nowhere in what day two's traffic carries, in any encoding.
    const [first, second] = days.map((d) => mailboxAddress(mailboxDaySecret(roomKey, bobKey, d)));
    expect(first).not.toBe(second);
    const dayTwo = stored.filter((e) => e.address === second).flatMap((e) => [e.address, e.data ?? '']);
    expect(dayTwo.length).toBeGreaterThan(0);
    expect(findLeaks([{ label: 'day one address', value: Buffer.from(first!, 'base64url') }], dayTwo)).toEqual([]);
  });
});

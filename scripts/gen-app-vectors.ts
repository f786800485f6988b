/**
 * Writes the known-answer vectors for the app-layer formats (docs/protocol-app.md):
 * test/vectors/parley-invite.json, parley-rendezvous.json, parley-wire.json.
 * Run: npx tsx scripts/gen-app-vectors.ts. The tests recompute every value and compare, and
 * cross-check the hashes and MACs against node:crypto.
 */
import { writeFileSync } from 'node:fs';
import { identityFromSeed } from '../src/core/identity';
import { createInvite, encodeInvite, inviteLink, inviteProof } from '../src/core/invite';
import { contactRendezvousSecret, deriveContactSecret, encodeSignal, roomId, sealSignal } from '../src/core/rendezvous';
import { encodeWire, type WireMessage } from '../src/core/wire';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pattern = (start: number, step: number) => Uint8Array.from({ length: 32 }, (_, i) => (start + i * step) & 0xff);
const queue =
  (...chunks: Uint8Array[]) =>
  (n: number) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error('vector random source: unexpected request');
    return c;
  };

const inviterSeed = pattern(1, 1);
const inviter = identityFromSeed(inviterSeed);
const now = 1_800_000_000_000;
const origin = 'https://parley.example';
const handshakeSecret = pattern(0xa0, 3);

const invites = [
  { name: 'Ada Lovelace 🧮', rendezvousSecret: pattern(0x40, 5), inviteSecret: pattern(0x80, 7), ttlMs: 86_400_000 },
  { name: undefined, rendezvousSecret: pattern(0xff, 255), inviteSecret: pattern(0x00, 0), ttlMs: 3_600_000 },
].map((v) => {
  const invite = createInvite({
    inviterKey: inviter.publicKey,
    name: v.name,
    now,
    ttlMs: v.ttlMs,
    random: queue(Uint8Array.from(v.rendezvousSecret), Uint8Array.from(v.inviteSecret)),
  });
  return {
    inviterKey: hex(invite.inviterKey),
    rendezvousSecret: hex(invite.rendezvousSecret),
    inviteSecret: hex(invite.inviteSecret),
    expiresAt: invite.expiresAt,
    ...(invite.name === undefined ? {} : { name: invite.name }),
    code: encodeInvite(invite),
    link: inviteLink(origin, invite),
    handshakeSecret: hex(handshakeSecret),
    proof: hex(inviteProof(invite.inviteSecret, handshakeSecret)),
  };
});
writeFileSync(
  'test/vectors/parley-invite.json',
  JSON.stringify(
    {
      description:
        'Parley invite v1 (docs/protocol-app.md §2). Inviter identity from inviterSeed; created at `now`; proof = inviteProof(inviteSecret, handshakeSecret).',
      inviterSeed: hex(inviterSeed),
      now,
      origin,
      invites,
    },
    null,
    2,
  ) + '\n',
);

const secret = pattern(0x11, 0x11);
const nonce = Uint8Array.from({ length: 24 }, (_, i) => 0xf0 - i);
const envelope = {
  kind: 'offer',
  from: 'AAAAAAAAAAAAAAAAAAAAAA',
  payload: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
};
const plaintext = encodeSignal(envelope);
const contactSecret = deriveContactSecret(handshakeSecret);
writeFileSync(
  'test/vectors/parley-rendezvous.json',
  JSON.stringify(
    {
      description:
        'Parley rendezvous v1 (docs/protocol-app.md §3). sealed = sealSignal(secret, encodeSignal(envelope)) with the given nonce as the only random bytes.',
      secret: hex(secret),
      roomId: roomId(secret),
      nonce: hex(nonce),
      envelope,
      plaintext: hex(plaintext),
      sealed: hex(sealSignal(secret, plaintext, queue(Uint8Array.from(nonce)))),
      handshakeSecret: hex(handshakeSecret),
      contactSecret: hex(contactSecret),
      days: [20000, 20001, 20412].map((day) => {
        const s = contactRendezvousSecret(contactSecret, day);
        return { day, secret: hex(s), roomId: roomId(s) };
      }),
    },
    null,
    2,
  ) + '\n',
);

const messages: WireMessage[] = [
  { type: 'hello', name: 'Ada' },
  { type: 'invite-proof', proof: pattern(0x01, 2) },
  { type: 'invite-result', accepted: true },
  { type: 'invite-result', accepted: false, reason: 'used' },
  { type: 'invite-result', accepted: false, reason: 'known-key' },
  { type: 'chat', id: 'm-0001', text: 'hi "there" ✓\n', sentAt: 1_800_000_000_123 },
  { type: 'receipt', id: 'm-0001' },
  // A transfer-codec `ack` (docs/files.md §1): version 2, type 6, id 0x07×16, file 0, verified 3.
  { type: 'transfer', data: Uint8Array.from([2, 6, ...new Array(16).fill(7), 0, 0, 0, 0, 0, 3]) },
  // Version 2 (docs/protocol.md "Compatibility").
  { type: 'features', version: 2, features: ['file-key', 'unsupported-ack'] },
  { type: 'unsupported', id: 'q3XbV0c9ZtE-17' },
  { type: 'features-check', digest: pattern(0x5a, 3) },
  // One group message riding the outbox (docs/groups.md §10.2); its tail is the group codec's, opaque here.
  { type: 'group', id: 'q3XbV0c9ZtE-18', data: pattern(0x3c, 5) },
];
writeFileSync(
  'test/vectors/parley-wire.json',
  JSON.stringify(
    {
      description: 'Parley wire v1 (docs/protocol-app.md §4): message (Uint8Array fields as hex) → encoded hex.',
      vectors: messages.map((m) => ({
        message:
          m.type === 'invite-proof'
            ? { ...m, proof: hex(m.proof) }
            : m.type === 'transfer' || m.type === 'group'
              ? { ...m, data: hex(m.data) }
              : m.type === 'features-check'
                ? { ...m, digest: hex(m.digest) }
                : m,
        encoded: hex(encodeWire(m)),
      })),
    },
    null,
    2,
  ) + '\n',
);
console.log('wrote test/vectors/parley-{invite,rendezvous,wire}.json');

/**
 * Writes test/vectors/parley-mailbox.json, the known answers of the mailbox formats
 * (docs/protocol-app.md §3.6, docs/session.md §7): daily per-direction mailbox secrets from a
 * session's room key, their relay addresses, and sealed blobs with a fixed nonce.
 * Run: npx tsx scripts/gen-mailbox-vectors.ts. test/core/mailbox.test.ts recomputes every value
 * and cross-checks the HKDF steps against node:crypto.
 */
import { writeFileSync } from 'node:fs';
import { identityFromSeed } from '../src/core/identity';
import { mailboxAddress, sealMailboxBlob } from '../src/core/mailbox';
import { mailboxDaySecret } from '../src/net/session-derive';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pattern = (start: number, step: number, n = 32) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i * step) & 0xff);

const roomKey = pattern(0x11, 7);
const alice = identityFromSeed(pattern(1, 1)).publicKey;
const bob = identityFromSeed(pattern(2, 3)).publicKey;
const days = [20_427, 20_428];
const nonce = pattern(0xf0, 255, 24);
const plaintexts = [new TextEncoder().encode('ratchet message for Bob'), pattern(0x33, 1, 3000)];

const secrets = [];
for (const [name, key] of [
  ['alice', alice],
  ['bob', bob],
] as const) {
  for (const day of days) {
    const secret = mailboxDaySecret(roomKey, key, day);
    secrets.push({ recipient: name, day, secret: hex(secret), address: mailboxAddress(secret) });
  }
}
const blobSecret = mailboxDaySecret(roomKey, bob, days[0]!);
const blobs = plaintexts.map((p) => ({
  plaintext: hex(p),
  sealed: hex(sealMailboxBlob(blobSecret, p, () => Uint8Array.from(nonce))),
}));

const out = {
  description:
    'Parley mailbox v1 (docs/protocol-app.md §3.6, docs/session.md §7). secret = mailboxDaySecret(roomKey, recipientKey, day); address = mailboxAddress(secret); sealed = sealMailboxBlob(secret of bob on the first day, plaintext) with the given nonce as the only random bytes.',
  roomKey: hex(roomKey),
  recipients: { alice: hex(alice), bob: hex(bob) },
  nonce: hex(nonce),
  secrets,
  blobs,
};
writeFileSync('test/vectors/parley-mailbox.json', JSON.stringify(out, null, 2) + '\n');
console.log('wrote test/vectors/parley-mailbox.json');

/**
 * Writes the known-answer vector for the backup file format (docs/backup.md), payload schema 3:
 * test/vectors/parley-backup-v3.json. Run: npx tsx scripts/gen-backup-vector.ts.
 * (test/vectors/parley-backup.json and parley-backup-v2.json are the schema-1 and schema-2
 * vectors earlier versions of this script wrote; they stay as they are, and import must keep
 * reading them.)
 * test/core/backup.test.ts recomputes the file from these inputs and compares every byte, and
 * cross-checks the scrypt and HKDF steps against node:crypto.
 */
import { writeFileSync } from 'node:fs';
import { identityFromSeed } from '../src/core/identity';
import { exportBackup } from '../src/core/backup';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pattern = (n: number, start: number, step: number) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i * step) & 0xff);
const queue =
  (...chunks: Uint8Array[]) =>
  (n: number) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error('vector random source: unexpected request');
    return c;
  };

const seed = pattern(32, 1, 1);
const identity = identityFromSeed(seed);
const contacts = [
  {
    publicKey: identityFromSeed(pattern(32, 0x40, 3)).publicKey,
    name: 'Ada Lovelace 🧮',
    contactSecret: pattern(32, 0x80, 7),
    verified: true,
    addedAt: 1_799_000_000_000,
    formerKeys: [identityFromSeed(pattern(32, 0x50, 5)).publicKey, identityFromSeed(pattern(32, 0x60, 9)).publicKey],
    blocked: false,
    label: 'Countess (math club) ✓',
  },
  {
    publicKey: identityFromSeed(pattern(32, 0x21, 11)).publicKey,
    name: '',
    contactSecret: pattern(32, 0xff, 255),
    verified: false,
    addedAt: 1_799_500_000_123,
    formerKeys: [],
    blocked: true,
    label: '',
  },
];
// "Ｐ" (fullwidth) and "ﬁ" (ligature) become "P" and "fi" under NFKC: the vector pins normalization.
const passphrase = 'Ｐarley ﬁle backup 2026';
const salt = pattern(16, 0x10, 1);
const nonce = pattern(24, 0x30, 1);
const cost = { log2N: 10, r: 8, p: 1 };
const now = 1_800_000_000_000;

const r = await exportBackup({ identity, name: 'Grace', contacts }, passphrase, {
  random: queue(Uint8Array.from(salt), Uint8Array.from(nonce)),
  now,
  cost,
});
if (!r.ok) throw new Error(r.message);
writeFileSync(
  'test/vectors/parley-backup-v3.json',
  JSON.stringify(
    {
      description:
        'Parley backup file v1, payload schema 3 (docs/backup.md). Identity from seed; salt then nonce drawn from the random source; file = exportBackup(...) in hex. Import with the NFKC form of the passphrase must give the same data.',
      passphrase,
      passphraseNfkc: passphrase.normalize('NFKC'),
      seed: hex(seed),
      publicKey: hex(identity.publicKey),
      name: 'Grace',
      contacts: contacts.map((c) => ({
        ...c,
        publicKey: hex(c.publicKey),
        contactSecret: hex(c.contactSecret),
        formerKeys: c.formerKeys.map(hex),
      })),
      salt: hex(salt),
      nonce: hex(nonce),
      cost,
      now,
      file: hex(r.bytes),
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote test/vectors/parley-backup-v3.json (${r.bytes.length} bytes)`);

/**
 * Writes the known-answer vectors of the group protocol (docs/groups.md §2, §3.1, §4.5, §5.4):
 * test/vectors/parley-group.json. Run: npx tsx scripts/gen-group-vectors.ts. The test
 * (test/core/group-vectors.test.ts) re-encodes and re-decodes every message, verifies every
 * signature, and recomputes the id, the intro room and the invite check with node:crypto.
 */
import { writeFileSync } from 'node:fs';
import { createGroup, nextList } from '../src/core/group';
import { signGroup } from '../src/core/group-signed';
import { groupInviteLink } from '../src/core/group-invite';
import { introRoomSecret } from '../src/core/group-intro';
import { encodeGroup, type GroupMessage } from '../src/core/group-wire';
import { identityFromSeed } from '../src/core/identity';
import { createInvite } from '../src/core/invite';

const pattern = (start: number, step: number, n = 32) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i * step) & 0xff);
const queue =
  (...chunks: Uint8Array[]) =>
  (n: number) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error('vector random source: unexpected request');
    return c;
  };
/** Bytes as hex, recursively (the JSON form of a message). */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

const now = 1_800_000_000_000;
const seeds = { alice: pattern(1, 1), bob: pattern(0x40, 3), dave: pattern(0x90, 7) };
const alice = identityFromSeed(seeds.alice);
const bob = identityFromSeed(seeds.bob);
const dave = identityFromSeed(seeds.dave);
const salt = pattern(0xc0, 5);
const g1 = createGroup({
  admin: alice,
  adminName: 'Alice',
  name: 'Book club 📚',
  members: [{ key: bob.publicKey, name: 'Bob' }],
  random: queue(salt),
});
const g2 = nextList(g1, alice, { add: [{ key: dave.publicKey, name: 'Dave' }], lamport: 7 });
const group = g1.list.group;
const stamp = { group, sender: dave.publicKey, epoch: pattern(0xe0, 1, 8), generation: 2, lamport: 9, sentAt: now };
const messages: [string, GroupMessage][] = [
  ['list generation 1', g1.list],
  ['list generation 2', g2.list],
  [
    'vouch',
    signGroup(
      {
        type: 'vouch',
        group,
        voucher: bob.publicKey,
        newcomer: dave.publicKey,
        vouchId: pattern(0x10, 1, 16),
        generation: 1,
        createdAt: now,
        name: 'Dave',
      },
      bob,
    ),
  ],
  [
    'vouch-result added',
    { type: 'vouch-result', group, vouchId: pattern(0x10, 1, 16), outcome: 'added', generation: 2 },
  ],
  [
    'vouch-result refused',
    { type: 'vouch-result', group, vouchId: pattern(0x10, 1, 16), outcome: 'refused', generation: 0 },
  ],
  ['leave', signGroup({ type: 'leave', group, member: bob.publicKey, generation: 2 }, bob)],
  [
    'intro',
    signGroup(
      {
        type: 'intro',
        group,
        from: dave.publicKey,
        to: alice.publicKey,
        introId: pattern(0x20, 1, 16),
        rendezvousSecret: pattern(0x30, 11),
        expiresAt: now + 86_400_000,
      },
      dave,
    ),
  ],
  ['hello', { type: 'hello', ...stamp, seq: 1, lamport: 8, name: 'Dave' }],
  ['text', { type: 'text', ...stamp, seq: 2, text: 'hi all — ✓\n' }],
  [
    'file-offer',
    {
      type: 'file-offer',
      ...stamp,
      seq: 3,
      lamport: 10,
      offerId: pattern(0x50, 1, 16),
      files: [{ name: 'notes.pdf', type: 'application/pdf', size: 123456789, sha256: pattern(0x60, 9) }],
    },
  ],
  ['file-request', { type: 'file-request', group, offerId: pattern(0x50, 1, 16) }],
];
const invite = createInvite({
  inviterKey: bob.publicKey,
  now,
  ttlMs: 86_400_000,
  random: queue(pattern(0x70, 1), pattern(0x80, 1)),
});
const day = Math.floor(now / 86_400_000);
writeFileSync(
  'test/vectors/parley-group.json',
  JSON.stringify(
    {
      description:
        'Parley group protocol v1 (docs/groups.md). Identities from the seeds; group id = SHA-256("parley/group-id/1" ‖ admin ‖ salt); signatures are Ed25519 (deterministic) over the type\'s label ‖ the message without its signature.',
      seeds: toJson(seeds),
      salt: toJson(salt),
      groupId: toJson(group),
      vectors: messages.map(([name, m]) => ({ name, message: toJson(m), encoded: toJson(encodeGroup(m)) })),
      introRoom: {
        rendezvousSecret: toJson(pattern(0x30, 11)),
        day,
        secret: toJson(introRoomSecret(pattern(0x30, 11), day)),
      },
      groupInvite: { now, link: groupInviteLink('https://parley.example', invite, group) },
    },
    null,
    2,
  ) + '\n',
);
console.log('wrote test/vectors/parley-group.json');

/** Shared fixtures for the group tests: deterministic identities, lists and arbitraries. */
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { identityFromSeed, type Identity } from '../../src/core/identity';
import { createGroup, type SignedList } from '../../src/core/group';
import type { GroupMessage, GroupStamp } from '../../src/core/group-wire';
import { seededRandom } from './kx-helpers';

export { seededRandom };

/** A deterministic identity named `label`. */
export function person(label: string): Identity {
  return identityFromSeed(sha256(utf8ToBytes(`group-test/${label}`)));
}

/** Alice (admin), Bob, Carol, Dave and Eve (an outsider), and a group Alice made with Bob and Carol. */
export function cast(label = 'cast') {
  const alice = person(`${label}/alice`);
  const bob = person(`${label}/bob`);
  const carol = person(`${label}/carol`);
  const dave = person(`${label}/dave`);
  const eve = person(`${label}/eve`);
  const group: SignedList = createGroup({
    admin: alice,
    adminName: 'Alice',
    name: 'Book club',
    members: [
      { key: bob.publicKey, name: 'Bob' },
      { key: carol.publicKey, name: 'Carol' },
    ],
    random: seededRandom(`${label}/group`),
  });
  return { alice, bob, carol, dave, eve, group, random: seededRandom(`${label}/random`) };
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** Canonical display names (what cleanDisplayName leaves unchanged). */
export const arbName = fc
  .array(
    fc
      .array(fc.constantFrom('A', 'b', 'z', '0', 'é', 'Ω', 'ß', '😀', '字'), { minLength: 1, maxLength: 6 })
      .map((c) => c.join('')),
    { minLength: 1, maxLength: 3 },
  )
  .map((words) => words.join(' '));
const u32 = fc.integer({ min: 1, max: 2 ** 32 - 1 });
const u48 = fc.integer({ min: 1, max: 2 ** 48 - 1 });
const arbStamp = (hello: boolean): fc.Arbitrary<GroupStamp> =>
  fc.record({
    sender: bytes(32),
    epoch: bytes(8),
    generation: u32,
    seq: hello ? fc.constant(1) : fc.integer({ min: 2, max: 2 ** 48 - 1 }),
    lamport: u48,
    sentAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  });
const arbFile = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9 ._-]{1,40}$/).filter((s) => s !== '.' && s !== '..'),
  type: fc.constantFrom('', 'image/png', 'text/plain; charset=utf-8'),
  size: fc.maxSafeNat(),
  sha256: bytes(32),
});

/** Any group message the encoder accepts (fields are random bytes: no signature verifies). */
export const arbGroupMessage: fc.Arbitrary<GroupMessage> = fc.oneof(
  fc
    .record({
      admin: bytes(32),
      salt: bytes(32),
      generation: u32,
      lamport: u48,
      name: arbName,
      members: fc.uniqueArray(fc.record({ key: bytes(32), name: arbName }), {
        minLength: 0,
        maxLength: 49,
        selector: (m) => hex(m.key),
      }),
      group: bytes(32),
      signature: bytes(64),
    })
    .map((r) => {
      const members = [...r.members, { key: r.admin, name: 'Admin' }]
        .filter((m, i, all) => all.findIndex((x) => hex(x.key) === hex(m.key)) === i)
        .map((m, i) => ({ ...m, since: 1 + (i % r.generation) }))
        .sort((a, b) => Buffer.compare(a.key, b.key));
      return { type: 'list' as const, ...r, members };
    }),
  fc
    .record({
      group: bytes(32),
      voucher: bytes(32),
      newcomer: bytes(32),
      vouchId: bytes(16),
      generation: u32,
      createdAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      name: arbName,
      signature: bytes(64),
    })
    .filter((v) => hex(v.voucher) !== hex(v.newcomer))
    .map((v) => ({ type: 'vouch' as const, ...v })),
  fc
    .record({
      group: bytes(32),
      vouchId: bytes(16),
      outcome: fc.constantFrom(
        'refused',
        'full',
        'already-member',
        'not-member',
        'expired',
        'not-admin',
        'replayed',
      ) as fc.Arbitrary<'refused'>,
    })
    .map((r) => ({ type: 'vouch-result' as const, ...r, generation: 0 })),
  fc
    .record({ group: bytes(32), vouchId: bytes(16), generation: u32 })
    .map((r) => ({ type: 'vouch-result' as const, ...r, outcome: 'added' as const })),
  fc
    .record({ group: bytes(32), member: bytes(32), generation: u32, signature: bytes(64) })
    .map((r) => ({ type: 'leave' as const, ...r })),
  fc
    .record({
      group: bytes(32),
      from: bytes(32),
      to: bytes(32),
      introId: bytes(16),
      rendezvousSecret: bytes(32),
      expiresAt: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
      signature: bytes(64),
    })
    .filter((r) => hex(r.from) !== hex(r.to))
    .map((r) => ({ type: 'intro' as const, ...r })),
  fc
    .tuple(bytes(32), arbStamp(false), fc.string({ unit: 'grapheme', maxLength: 200 }))
    .map(([group, s, text]) => ({ type: 'text' as const, group, ...s, text })),
  fc
    .tuple(bytes(32), arbStamp(true), arbName)
    .map(([group, s, name]) => ({ type: 'hello' as const, group, ...s, name })),
  fc
    .tuple(bytes(32), arbStamp(false), bytes(16), fc.array(arbFile, { minLength: 1, maxLength: 16 }))
    .map(([group, s, offerId, files]) => ({ type: 'file-offer' as const, group, ...s, offerId, files })),
  fc.record({ group: bytes(32), offerId: bytes(16) }).map((r) => ({ type: 'file-request' as const, ...r })),
  fc.record({ group: bytes(32), offerId: bytes(16) }).map((r) => ({ type: 'file-gone' as const, ...r })),
);

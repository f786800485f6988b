/** Known answers of the group protocol (test/vectors/parley-group.json, scripts/gen-group-vectors.ts). */
import { describe, expect, it } from 'vitest';
import { createHash, hkdfSync } from 'node:crypto';
import vectors from '../vectors/parley-group.json';
import { groupIdOf } from '../../src/core/group';
import { verifyGroupSignature } from '../../src/core/group-signed';
import { introRoomSecret } from '../../src/core/group-intro';
import { parseGroupInvite } from '../../src/core/group-invite';
import { decodeGroup, encodeGroup, SIGNED_GROUP_TYPES, type GroupMessage } from '../../src/core/group-wire';
import { identityFromSeed } from '../../src/core/identity';
import { fromHex, hex } from './group-helpers';

const BYTES =
  /^(group|admin|salt|signature|key|voucher|newcomer|vouchId|member|from|to|introId|rendezvousSecret|sender|epoch|offerId|sha256)$/;
function fromJson(v: unknown, name = ''): unknown {
  if (typeof v === 'string' && BYTES.test(name)) return fromHex(v);
  if (Array.isArray(v)) return v.map((x) => fromJson(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x, k)]));
  return v;
}

describe('group vectors (docs/groups.md §2)', () => {
  for (const v of vectors.vectors) {
    it(`${v.name}: encodes to the known bytes and back`, () => {
      const m = fromJson(v.message) as GroupMessage;
      expect(hex(encodeGroup(m))).toBe(v.encoded);
      expect(decodeGroup(fromHex(v.encoded))).toEqual({ ok: true, message: m });
      if (m.type === 'list' || m.type === 'vouch' || m.type === 'leave' || m.type === 'intro') {
        expect(SIGNED_GROUP_TYPES.has(m.type)).toBe(true);
        expect(verifyGroupSignature(m)).toBe(true);
      }
    });
  }

  it('the seeds give the keys in the vectors, and the id commits to the admin key (node:crypto)', () => {
    const alice = identityFromSeed(fromHex(vectors.seeds.alice));
    const list = vectors.vectors[0]!.message as { admin: string };
    expect(hex(alice.publicKey)).toBe(list.admin);
    const id = createHash('sha256')
      .update('parley/group-id/1')
      .update(alice.publicKey)
      .update(fromHex(vectors.salt))
      .digest('hex');
    expect(id).toBe(vectors.groupId);
    expect(hex(groupIdOf(alice.publicKey, fromHex(vectors.salt)))).toBe(id);
  });

  it('the intro room of a day (node:crypto HKDF)', () => {
    const { rendezvousSecret, day, secret } = vectors.introRoom;
    const info = Buffer.alloc(24 + 8);
    info.write('parley/group/intro-day/1');
    info.writeBigUInt64BE(BigInt(day), 24);
    expect(Buffer.from(hkdfSync('sha256', fromHex(rendezvousSecret), Buffer.alloc(0), info, 32)).toString('hex')).toBe(
      secret,
    );
    expect(hex(introRoomSecret(fromHex(rendezvousSecret), day))).toBe(secret);
  });

  it('the group invite link reads back to the group id', () => {
    const r = parseGroupInvite(vectors.groupInvite.link, vectors.groupInvite.now);
    expect(r).toMatchObject({ ok: true });
    if (r.ok) expect(hex(r.group!)).toBe(vectors.groupId);
  });
});

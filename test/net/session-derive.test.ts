/**
 * Derivations of docs/session.md §1, §2, §4: the ML-KEM key is a function of the identity seed
 * alone (so a backup restores it), valid and different per seed; the session id and the rooms
 * are recomputed here from their documented HKDF/SHA-256 definitions with node:crypto, and
 * every label gives a different value.
 */
import { describe, expect, it } from 'vitest';
import { createHash, hkdfSync } from 'node:crypto';
import { kemPublicKeyOf } from '../../src/core/kx';
import {
  kemKeyPairFromSeed,
  resetDaySecret,
  sessionDaySecret,
  sessionIdOf,
  sessionRoomKey,
} from '../../src/net/session-derive';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
const u64 = (d: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(d));
  return b;
};
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: Buffer, n = 32) =>
  new Uint8Array(hkdfSync('sha256', ikm, salt, info, n));

describe('session derivations', () => {
  it('the ML-KEM-768 key pair is deterministic in the Ed25519 seed, consistent, and different for another seed', () => {
    const a = kemKeyPairFromSeed(seed),
      again = kemKeyPairFromSeed(seed.slice());
    expect(a.publicKey).toHaveLength(1184);
    expect(a.secretKey).toHaveLength(2400);
    expect(again).toEqual(a);
    expect(kemPublicKeyOf(a.secretKey)).toEqual(a.publicKey);
    const other = seed.slice();
    other[0] = 1;
    expect(kemKeyPairFromSeed(other).publicKey).not.toEqual(a.publicKey);
    expect(() => kemKeyPairFromSeed(new Uint8Array(31))).toThrow(TypeError);
  });

  it('session id, room key and daily rooms follow their documented definitions', () => {
    const th = new Uint8Array(32).fill(7),
      sk = new Uint8Array(32).fill(9),
      cs = new Uint8Array(32).fill(3),
      owner = new Uint8Array(32).fill(5);
    expect(sessionIdOf(th)).toBe(createHash('sha256').update('parley/session/id/1').update(th).digest('hex'));
    const roomKey = sessionRoomKey({ sessionKey: sk, transcriptHash: th });
    expect(roomKey).toEqual(hkdf(sk, th, Buffer.from('parley/session/room-key/1')));
    expect(sessionDaySecret(roomKey, 20_000)).toEqual(
      hkdf(roomKey, new Uint8Array(0), Buffer.concat([Buffer.from('parley/rendezvous/session-day/1'), u64(20_000)])),
    );
    expect(resetDaySecret(cs, owner, 20_000)).toEqual(
      hkdf(cs, new Uint8Array(0), Buffer.concat([Buffer.from('parley/rendezvous/reset-day/1'), owner, u64(20_000)])),
    );
    // Every room differs: by day, by owner, and between the two kinds.
    const rooms = [
      sessionDaySecret(roomKey, 20_000),
      sessionDaySecret(roomKey, 20_001),
      resetDaySecret(cs, owner, 20_000),
      resetDaySecret(cs, owner, 20_001),
      resetDaySecret(cs, new Uint8Array(32).fill(6), 20_000),
    ].map((r) => Buffer.from(r).toString('hex'));
    expect(new Set(rooms).size).toBe(rooms.length);
  });
});

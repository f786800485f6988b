/** Interop with the reference npm `secret-handshake` (libsodium through chloride/sodium-native), both directions. */
import { describe, expect, it } from 'vitest';
import { ShsClient, ShsServer } from '../../src/core/shs';
import { PROVIDERS, hex, randomKeyPair } from './shs-helpers';
import { interop, referenceShs, toRefKeys } from './shs-reference';

const networkKey = crypto.getRandomValues(new Uint8Array(32));
const appKey = Buffer.from(networkKey);
const flip = (b: Uint8Array, at: number) => {
  const c = b.slice();
  c[at]! ^= 0x01;
  return c;
};

describe.each(PROVIDERS)('interop with the reference secret-handshake, %s path', (_name, path) => {
  it('Parley client ↔ reference server derive identical keys', async () => {
    const alice = randomKeyPair(),
      bob = randomKeyPair();
    const client = new ShsClient({ networkKey, identity: alice, serverPublicKey: bob.publicKey, now: 0, crypto: path });
    const r = await interop(client, (cb) =>
      referenceShs.createServer(toRefKeys(bob), (_pk: Buffer, done: any) => done(null, true), appKey, 2000)(cb),
    );
    expect(r.parley.ok).toBe(true);
    if (!r.reference.ok) throw new Error(r.reference.error);
    const s = r.parleySession!;
    expect(hex(r.reference.remote)).toBe(hex(alice.publicKey));
    expect(hex(s.remotePublicKey)).toBe(hex(bob.publicKey));
    expect(hex(s.encryptKey)).toBe(hex(r.reference.keys.decryptKey));
    expect(hex(s.decryptKey)).toBe(hex(r.reference.keys.encryptKey));
    expect(hex(s.encryptNonce)).toBe(hex(r.reference.keys.decryptNonce));
    expect(hex(s.decryptNonce)).toBe(hex(r.reference.keys.encryptNonce));
  });

  it('reference client ↔ Parley server derive identical keys', async () => {
    const alice = randomKeyPair(),
      bob = randomKeyPair();
    const seen: string[] = [];
    const server = new ShsServer({
      networkKey,
      identity: bob,
      now: 0,
      crypto: path,
      authorize: (pk) => {
        seen.push(hex(pk));
        return true;
      },
    });
    const r = await interop(server, (cb) =>
      referenceShs.createClient(toRefKeys(alice), appKey, 2000)(Buffer.from(bob.publicKey), cb),
    );
    expect(r.parley.ok).toBe(true);
    if (!r.reference.ok) throw new Error(r.reference.error);
    const s = r.parleySession!;
    expect(seen).toEqual([hex(alice.publicKey)]);
    expect(hex(s.remotePublicKey)).toBe(hex(alice.publicKey));
    expect(hex(r.reference.remote)).toBe(hex(bob.publicKey));
    expect(hex(s.encryptKey)).toBe(hex(r.reference.keys.decryptKey));
    expect(hex(s.decryptKey)).toBe(hex(r.reference.keys.encryptKey));
    expect(hex(s.encryptNonce)).toBe(hex(r.reference.keys.decryptNonce));
    expect(hex(s.decryptNonce)).toBe(hex(r.reference.keys.encryptNonce));
  });

  it('a refusal looks the same across implementations: hang-up after msg3, SHS_CLOSED on the Parley client, an error on the reference client', async () => {
    const alice = randomKeyPair(),
      bob = randomKeyPair();
    const client = new ShsClient({ networkKey, identity: alice, serverPublicKey: bob.publicKey, now: 0, crypto: path });
    const r1 = await interop(client, (cb) =>
      referenceShs.createServer(toRefKeys(bob), (_pk: Buffer, done: any) => done(null, false), appKey, 2000)(cb),
    );
    expect(!r1.parley.ok && [r1.parley.code, r1.parley.step]).toEqual(['SHS_CLOSED', 'msg4']);
    expect(r1.reference.ok).toBe(false);
    const server = new ShsServer({ networkKey, identity: bob, now: 0, crypto: path, authorize: () => false });
    const r2 = await interop(server, (cb) =>
      referenceShs.createClient(toRefKeys(alice), appKey, 2000)(Buffer.from(bob.publicKey), cb),
    );
    expect(!r2.parley.ok && r2.parley.code).toBe('SHS_UNAUTHORIZED');
    expect(!r2.reference.ok && r2.reference.error).toMatch(/hung up|phase 3|server/i);
  });

  // Message k of the handshake, by who sends it: Parley client sends msg1 (0) and msg3 (1), the
  // reference server msg2 (0) and msg4 (1); and the other way round.
  describe.each([
    ['msg1', 'toReference', 0],
    ['msg2', 'toParley', 0],
    ['msg3', 'toReference', 1],
    ['msg4', 'toParley', 1],
  ] as const)('a flipped byte in %s', (name, direction, index) => {
    it('Parley client ↔ reference server: no matching session on either side', async () => {
      const alice = randomKeyPair(),
        bob = randomKeyPair();
      const client = new ShsClient({
        networkKey,
        identity: alice,
        serverPublicKey: bob.publicKey,
        now: 0,
        crypto: path,
      });
      const r = await interop(
        client,
        (cb) =>
          referenceShs.createServer(toRefKeys(bob), (_pk: Buffer, done: any) => done(null, true), appKey, 2000)(cb),
        (d, i, b) => (d === direction && i === index ? flip(b, 40) : b),
      );
      expect(r.parley.ok).toBe(false);
      // Only a tampered msg4 lets the reference server finish (it has sent its last message); its keys are then useless.
      if (name !== 'msg4') expect(r.reference.ok).toBe(false);
      if (!r.parley.ok)
        expect(r.parley.code).toMatch(
          name === 'msg2' ? /SHS_MSG2_BAD_HMAC/ : name === 'msg4' ? /SHS_MSG4_BAD_ACCEPT/ : /SHS_CLOSED/,
        );
    });
  });

  describe.each([
    ['msg1', 'toParley', 0],
    ['msg2', 'toReference', 0],
    ['msg3', 'toParley', 1],
    ['msg4', 'toReference', 1],
  ] as const)('a flipped byte in %s', (name, direction, index) => {
    it('reference client ↔ Parley server: no matching session on either side', async () => {
      const alice = randomKeyPair(),
        bob = randomKeyPair();
      const server = new ShsServer({ networkKey, identity: bob, now: 0, crypto: path, authorize: () => true });
      const r = await interop(
        server,
        (cb) => referenceShs.createClient(toRefKeys(alice), appKey, 2000)(Buffer.from(bob.publicKey), cb),
        (d, i, b) => (d === direction && i === index ? flip(b, 40) : b),
      );
      expect(r.reference.ok).toBe(false);
      if (name === 'msg1') expect(!r.parley.ok && r.parley.code).toBe('SHS_MSG1_BAD_HMAC');
      if (name === 'msg3') expect(!r.parley.ok && r.parley.code).toBe('SHS_MSG3_BAD_AUTH');
    });
  });
});

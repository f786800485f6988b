/**
 * fast-check properties: random bytes and single flipped bits in any handshake message always
 * end in a typed Failure from the state machine — never an exception, never a hang — and any
 * chunking of a valid transcript gives the same session.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ShsClient, ShsServer, type ShsErrorCode, type ShsStep } from '../../src/core/shs';
import { hex, pump, randomKeyPair } from './shs-helpers';

const K = crypto.getRandomValues(new Uint8Array(32));
const alice = randomKeyPair(),
  bob = randomKeyPair();
const CODES: ShsErrorCode[] = [
  'SHS_MSG1_BAD_HMAC',
  'SHS_MSG1_BAD_KEY',
  'SHS_MSG2_BAD_HMAC',
  'SHS_MSG2_BAD_KEY',
  'SHS_MSG3_BAD_AUTH',
  'SHS_MSG3_BAD_SIGNATURE',
  'SHS_UNAUTHORIZED',
  'SHS_AUTHORIZE_ERROR',
  'SHS_MSG4_BAD_ACCEPT',
  'SHS_MSG4_BAD_SIGNATURE',
  'SHS_BAD_SERVER_KEY',
  'SHS_CLOSED',
  'SHS_TIMEOUT',
];

/** Resolves the step, or fails the property if it takes over 2 s (a hang). */
function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('state machine hung')), 2000);
    }),
  ]).finally(() => clearTimeout(timer));
}

function wellFormed(s: ShsStep, side: 'client' | 'server'): void {
  if (s.ok) return;
  expect(CODES).toContain(s.code);
  expect(s.side).toBe(side);
  expect(s.message).toMatch(new RegExp(`^shs ${side}, msg[1-4]: .{20,}`));
}

const newServer = () => new ShsServer({ networkKey: K, identity: bob, now: 0, authorize: () => true });
const newClient = () => new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
const chunks = fc.array(fc.uint8Array({ minLength: 0, maxLength: 200 }), { minLength: 1, maxLength: 4 });

describe('SHS state machines under random input', () => {
  it('server: random bytes in random chunks give only ok steps or a typed Failure, and a valid msg1 never yields a session', async () => {
    await fc.assert(
      fc.asyncProperty(chunks, async (parts) => {
        const srv = newServer();
        for (const part of parts) {
          const s = await bounded(srv.receive(part, 0));
          wellFormed(s, 'server');
          expect(s.ok && s.session).toBeFalsy();
          if (!s.ok) break;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('client: random bytes after msg1 give only a typed Failure or a wait for more bytes', async () => {
    await fc.assert(
      fc.asyncProperty(chunks, async (parts) => {
        const c = newClient();
        await c.start();
        for (const part of parts) {
          const s = await bounded(c.receive(part, 0));
          wellFormed(s, 'client');
          expect(s.ok && s.session).toBeFalsy();
          if (!s.ok) break;
        }
        const total = parts.reduce((n, p) => n + p.length, 0);
        // 64 random bytes cannot carry our network key's HMAC.
        if (total >= 64) expect((await c.receive(new Uint8Array(0), 0)).ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('a single flipped bit in any of msg1–msg4 makes its receiver fail with a typed Failure; no matching sessions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('msg1', 'msg2', 'msg3', 'msg4'),
        fc.nat(8 * 112 - 1),
        async (which, bitIndex) => {
          const r = await bounded(
            pump(newClient(), newServer(), (name, bytes) => {
              if (name !== which) return bytes;
              const bit = bitIndex % (bytes.length * 8);
              const c = bytes.slice();
              c[bit >> 3]! ^= 1 << (bit & 7);
              return c;
            }),
          );
          const receiver = which === 'msg1' || which === 'msg3' ? r.server : r.client;
          expect(receiver.ok).toBe(false);
          wellFormed(r.client, 'client');
          wellFormed(r.server, 'server');
          expect(r.clientSession).toBeUndefined();
          const expected = {
            msg1: 'SHS_MSG1_BAD_HMAC',
            msg2: 'SHS_MSG2_BAD_HMAC',
            msg3: 'SHS_MSG3_BAD_AUTH',
            msg4: 'SHS_MSG4_BAD_ACCEPT',
          }[which];
          if (!receiver.ok) expect(receiver.code).toBe(expected);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('any chunking of a valid exchange gives the same session as whole messages', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), async (sizes) => {
        const client = newClient(),
          srv = newServer();
        const split = (b: Uint8Array) => {
          const out: Uint8Array[] = [];
          let i = 0,
            k = 0;
          while (i < b.length) {
            const n = sizes[k++ % sizes.length]!;
            out.push(b.subarray(i, i + n));
            i += n;
          }
          return out;
        };
        const feed = async (m: { receive(b: Uint8Array, now: number): Promise<ShsStep> }, bytes: Uint8Array) => {
          const steps = await Promise.all(split(bytes).map((p) => m.receive(p, 0))); // calls overlap: the machine orders them
          const sends = steps.flatMap((s) => (s.ok && s.send ? [s.send] : []));
          return { sends, session: steps.map((s) => (s.ok ? s.session : undefined)).find(Boolean) };
        };
        const m1 = await client.start();
        if (!m1.ok) throw new Error('start');
        const m2 = await feed(srv, m1.send!);
        const m3 = await feed(client, m2.sends[0]!);
        const m4 = await feed(srv, m3.sends[0]!);
        const end = await feed(client, m4.sends[0]!);
        expect(m4.session && end.session).toBeTruthy();
        expect(hex(end.session!.encryptKey)).toBe(hex(m4.session!.decryptKey));
        expect(hex(end.session!.handshakeSecret)).toBe(hex(m4.session!.handshakeSecret));
      }),
      { numRuns: 60 },
    );
  });
});

describe('signature verification: every crypto provider agrees with libsodium', () => {
  it('on mutated signatures, keys and messages (flipped bits, S + L, small-order R or A)', async () => {
    const { createRequire } = await import('node:module');
    const sodium = createRequire(import.meta.url)('chloride') as {
      crypto_sign_verify_detached: (s: Buffer, m: Buffer, p: Buffer) => boolean;
    };
    const { nobleCrypto } = await import('../../src/core/shs-crypto');
    const { webCrypto } = await import('../../src/core/shs-webcrypto');
    const { nodeShsCrypto } = await import('../../src/node/shs-node-crypto');
    const { ed25519, ED25519_TORSION_SUBGROUP } = await import('@noble/curves/ed25519.js');
    const torsion = ED25519_TORSION_SUBGROUP.map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    const seed = crypto.getRandomValues(new Uint8Array(32)),
      pub = ed25519.getPublicKey(seed);
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('none' as const) }),
      fc.record({ kind: fc.constant('flip' as const), where: fc.constantFrom('sig', 'pub', 'msg'), bit: fc.nat(511) }),
      fc.record({ kind: fc.constant('S+L' as const) }),
      fc.record({ kind: fc.constant('torsionR' as const), t: fc.nat(7) }),
      fc.record({ kind: fc.constant('torsionA' as const), t: fc.nat(7), zeroSig: fc.boolean() }),
    );
    let disagreements = 0,
      accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), mutation, async (message, m) => {
        let sig = ed25519.sign(message, seed),
          pk = pub.slice();
        const msg = message.slice();
        if (m.kind === 'flip') {
          const t = m.where === 'sig' ? sig : m.where === 'pub' ? pk : msg;
          const bit = m.bit % (t.length * 8);
          t[bit >> 3]! ^= 1 << (bit & 7);
        }
        if (m.kind === 'S+L') {
          let s = 0n;
          for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
          s += ed25519.Point.Fn.ORDER;
          for (let i = 32; i < 64; i++) {
            sig[i] = Number(s & 255n);
            s >>= 8n;
          }
        }
        if (m.kind === 'torsionR') sig.set(torsion[m.t]!, 0);
        if (m.kind === 'torsionA') {
          pk = torsion[m.t]!.slice();
          if (m.zeroSig) sig = new Uint8Array(64);
        }
        const ref = sodium.crypto_sign_verify_detached(Buffer.from(sig), Buffer.from(msg), Buffer.from(pk));
        const [w, n, o] = [
          await webCrypto.verify(sig, msg, pk),
          await nobleCrypto.verify(sig, msg, pk),
          await nodeShsCrypto.verify(sig, msg, pk),
        ];
        if (w !== ref || n !== ref || o !== ref) disagreements++;
        if (ref) accepted++;
        expect([w, n, o]).toEqual([ref, ref, ref]);
      }),
      { numRuns: 120 },
    );
    expect(disagreements).toBe(0);
    expect(accepted).toBeGreaterThan(0); // the unmutated cases verify
  });
});

describe('node provider: OpenSSL alone is laxer than libsodium, so the provider pre-checks', () => {
  it('a universal forgery (A and R the identity point, S = 0) verifies under raw OpenSSL for any message, but not through nodeShsCrypto', async () => {
    const { createPublicKey, verify } = await import('node:crypto');
    const { nodeShsCrypto } = await import('../../src/node/shs-node-crypto');
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral point's encoding: small order
    const sig = new Uint8Array(64);
    sig.set(identity, 0);
    const spki = createPublicKey({
      key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), identity]),
      format: 'der',
      type: 'spki',
    });
    for (const msg of [new Uint8Array([1, 2, 3]), new TextEncoder().encode('any message at all')]) {
      expect(verify(null, msg, spki, sig)).toBe(true); // the control: OpenSSL's rules accept it
      expect(await nodeShsCrypto.verify(sig, msg, identity)).toBe(false);
    }
  });
});

/** An injected crypto provider (opts.crypto as an object) is checked, used, and nothing else is. */
import { describe, expect, it } from 'vitest';
import { ShsClient, ShsServer, type ShsCrypto } from '../../src/core/shs';
import { nodeShsCrypto } from '../../src/node/shs-node-crypto';
import { hex, pump, randomKeyPair } from './shs-helpers';

const K = crypto.getRandomValues(new Uint8Array(32));
const alice = randomKeyPair(),
  bob = randomKeyPair();

/** Wraps a provider, counting each primitive it is asked for. */
function counting(inner: ShsCrypto) {
  const calls = { ephemeral: 0, longTerm: 0, verify: 0, sign: 0, agree: 0 };
  const provider: ShsCrypto = {
    path: `counting ${inner.path}`,
    async ephemeral(secret) {
      calls.ephemeral++;
      const e = await inner.ephemeral(secret);
      return {
        publicKey: e.publicKey,
        agree: (p) => {
          calls.agree++;
          return e.agree(p);
        },
        destroy: () => e.destroy(),
      };
    },
    async longTerm(identity) {
      calls.longTerm++;
      const l = await inner.longTerm(identity);
      return {
        publicKey: l.publicKey,
        sign: (m) => {
          calls.sign++;
          return l.sign(m);
        },
        agree: (p) => {
          calls.agree++;
          return l.agree(p);
        },
        destroy: () => l.destroy(),
      };
    },
    verify(s, m, p) {
      calls.verify++;
      return inner.verify(s, m, p);
    },
  };
  return { provider, calls };
}

describe('injected crypto provider', () => {
  it('runs the whole handshake on the injected provider: one ephemeral, one signature, one verification and three agreements a side', async () => {
    const c = counting(nodeShsCrypto),
      s = counting(nodeShsCrypto);
    const r = await pump(
      new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0, crypto: c.provider }),
      new ShsServer({ networkKey: K, identity: bob, now: 0, crypto: s.provider, authorize: () => true }),
    );
    expect(r.clientSession && r.serverSession).toBeTruthy();
    expect(hex(r.clientSession!.encryptKey)).toBe(hex(r.serverSession!.decryptKey));
    for (const calls of [c.calls, s.calls])
      expect(calls).toEqual({ ephemeral: 1, longTerm: 1, verify: 1, sign: 1, agree: 3 });
  });

  it('a node-provider client and a WebCrypto server (and the reverse) agree on the session', async () => {
    for (const [cc, sc] of [
      [nodeShsCrypto, 'webcrypto'],
      ['webcrypto', nodeShsCrypto],
    ] as const) {
      const r = await pump(
        new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0, crypto: cc }),
        new ShsServer({ networkKey: K, identity: bob, now: 0, crypto: sc, authorize: () => true }),
      );
      expect(hex(r.clientSession!.handshakeSecret)).toBe(hex(r.serverSession!.handshakeSecret));
    }
  });

  it('refuses, naming the option, something that is neither a path name nor a provider', () => {
    const bad = [{ ephemeral: () => undefined }, 'sodium', 42];
    for (const crypto of bad) {
      expect(
        () =>
          new ShsClient({
            networkKey: K,
            identity: alice,
            serverPublicKey: bob.publicKey,
            now: 0,
            crypto: crypto as never,
          }),
      ).toThrow(/ShsClient opts\.crypto/);
      expect(
        () => new ShsServer({ networkKey: K, identity: bob, now: 0, crypto: crypto as never, authorize: () => true }),
      ).toThrow(/ShsServer opts\.crypto/);
    }
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { x25519Backend, x25519PublicKey, x25519Shared } from '../../src/core/x25519';

describe('x25519 (RFC 7748)', () => {
  it('uses WebCrypto under Node', async () => {
    expect(await x25519Backend()).toBe('webcrypto');
  });
  it('RFC 7748 section 6.1 test vector, in both backends', async () => {
    const aSk = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bPk = hexToBytes('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(bytesToHex(x25519PublicKey(aSk))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    for (const backend of ['webcrypto', 'noble'] as const) {
      expect(bytesToHex((await x25519Shared(aSk, bPk, backend)) as Uint8Array)).toBe(
        '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
      );
    }
  });
  it('property: WebCrypto and noble agree on arbitrary keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (sk, other) => {
          const pk = x25519PublicKey(other);
          expect(await x25519Shared(sk, pk, 'webcrypto')).toEqual(await x25519Shared(sk, pk, 'noble'));
        },
      ),
      { numRuns: 25 },
    );
  });
  it('low-order public keys and wrong lengths give null in both backends', async () => {
    const sk = new Uint8Array(32).fill(3);
    for (const backend of ['webcrypto', 'noble'] as const) {
      expect(await x25519Shared(sk, new Uint8Array(32), backend)).toBeNull(); // u = 0
      expect(await x25519Shared(sk, Uint8Array.of(1, ...new Uint8Array(31)), backend)).toBeNull(); // u = 1
      expect(await x25519Shared(sk, new Uint8Array(31), backend)).toBeNull();
    }
    await expect(x25519Shared(new Uint8Array(5), new Uint8Array(32))).rejects.toThrow(/secretKey: expected 32 bytes/);
  });
});

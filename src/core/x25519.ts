/**
 * X25519 (RFC 7748 section 5) for the Double Ratchet's DH function (Signal Double Ratchet spec
 * section 5.2 recommends X25519 for DH).
 *
 * The shared-secret computation runs in WebCrypto when the platform has X25519 (Chromium 133+,
 * Firefox 130+, Safari 17+, Node 20+): it is native code, about two orders of magnitude faster
 * than the pure-JS Montgomery ladder and constant-time. Where WebCrypto lacks X25519 it falls
 * back to @noble/curves; both give the same bytes (checked once at first use and in tests).
 * Public keys come from @noble/curves (fixed-base, fast, synchronous).
 * @module
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { assertBytes } from './errors';

// RFC 8410 PKCS#8 wrapping of a raw 32-byte X25519 private key.
const PKCS8_PREFIX = hexToBytes('302e020100300506032b656e04220420');
const ALG = { name: 'X25519' } as const;

type Dh = (secretKey: Uint8Array, publicKey: Uint8Array) => Promise<Uint8Array>;

const nobleDh: Dh = async (sk, pk) => x25519.getSharedSecret(sk, pk);

// Imported private keys, by the (never mutated) secret-key array they came from: a ratchet key
// pair takes part in two DH computations, and PKCS#8 import is the costly step. Entries go away
// with the arrays.
const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importPrivate(sk: Uint8Array): Promise<CryptoKey> {
  let key = imported.get(sk);
  if (!key) {
    key = globalThis.crypto.subtle.importKey(
      'pkcs8',
      concatBytes(PKCS8_PREFIX, sk) as Uint8Array<ArrayBuffer>,
      ALG,
      false,
      ['deriveBits'],
    );
    imported.set(sk, key);
    key.catch(() => imported.delete(sk));
  }
  return key;
}

const subtleDh: Dh = async (sk, pk) => {
  const subtle = globalThis.crypto.subtle;
  const [priv, pub] = await Promise.all([
    importPrivate(sk),
    subtle.importKey('raw', pk.slice() as Uint8Array<ArrayBuffer>, ALG, false, []),
  ]);
  return new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
};

let chosen: Promise<Dh> | undefined;

/** Picks WebCrypto if it computes X25519 and agrees with noble on a test input, else noble. */
function pick(): Promise<Dh> {
  chosen ??= (async () => {
    try {
      if (!globalThis.crypto?.subtle) return nobleDh;
      const sk = new Uint8Array(32).fill(0x5a);
      const pk = x25519.getPublicKey(new Uint8Array(32).fill(0xa5));
      const a = await subtleDh(sk, pk);
      const b = x25519.getSharedSecret(sk, pk);
      return a.length === 32 && a.every((v, i) => v === b[i]) ? subtleDh : nobleDh;
    } catch {
      return nobleDh;
    }
  })();
  return chosen;
}

/** Which implementation {@link x25519Shared} uses here (for benchmarks and tests). */
export async function x25519Backend(): Promise<'webcrypto' | 'noble'> {
  return (await pick()) === subtleDh ? 'webcrypto' : 'noble';
}

/** X25519 public key of a 32-byte secret key (RFC 7748 section 6.1). */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  assertBytes('secretKey', secretKey, 32);
  return x25519.getPublicKey(secretKey);
}

/**
 * X25519(secretKey, publicKey) (RFC 7748 section 6.1), or null when the peer's public key is
 * unusable: not 32 bytes, or a low-order point giving the all-zero output (section 6.1's check).
 * `backend` forces an implementation (tests compare the two).
 */
export async function x25519Shared(
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  backend?: 'webcrypto' | 'noble',
): Promise<Uint8Array | null> {
  assertBytes('secretKey', secretKey, 32);
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return null;
  const dh = backend === 'noble' ? nobleDh : backend === 'webcrypto' ? subtleDh : await pick();
  try {
    const out = await dh(secretKey, publicKey);
    return out.some((b) => b !== 0) ? out : null;
  } catch {
    return null;
  }
}

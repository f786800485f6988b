/**
 * The WebCrypto path of {@link ShsCrypto}: native Ed25519 (RFC 8032) and X25519 (RFC 7748)
 * through `crypto.subtle`, found at run time on `globalThis` (node ≥ 20, Chromium ≥ 113).
 * The same strictness checks as the noble path run first (`preVerify`), so both paths accept
 * and reject exactly the same signatures and keys.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  checkIdentity,
  curveSecretOf,
  isAllZero,
  nobleCrypto,
  preVerify,
  remembered,
  type CryptoPath,
  type PeerKey,
  type EphemeralKey,
  type LongTermKey,
  type ShsCrypto,
} from './shs-crypto';

// PKCS#8 wrappers of a raw 32-byte private key (RFC 8410 §7).
const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
const PKCS8_X25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) throw new Error('shs: crypto.subtle is not available in this runtime');
  return s;
}

/** A copy typed for `crypto.subtle` (which wants an ArrayBuffer-backed view). */
function own(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

async function importPkcs8(
  prefix: number[],
  raw: Uint8Array,
  alg: 'Ed25519' | 'X25519',
  extractable: boolean,
): Promise<CryptoKey> {
  const der = new Uint8Array(48);
  der.set(prefix);
  der.set(raw, 16);
  try {
    return await subtle().importKey(
      'pkcs8',
      der,
      { name: alg },
      extractable,
      alg === 'Ed25519' ? ['sign'] : ['deriveBits'],
    );
  } finally {
    der.fill(0);
  }
}

function fromBase64url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function webAgree(secret: CryptoKey, peer: PeerKey): Promise<Uint8Array | null> {
  try {
    const s = subtle();
    peer.imported ??= s.importKey('raw', own(peer.bytes), { name: 'X25519' }, false, []);
    const pub = (await peer.imported) as CryptoKey;
    const out = new Uint8Array(await s.deriveBits({ name: 'X25519', public: pub }, secret, 256));
    return isAllZero(out) ? null : out;
  } catch {
    return null;
  }
}

interface CachedIdentity {
  fingerprint: Uint8Array;
  sign: CryptoKey;
  dh: CryptoKey;
}
/**
 * Imported long-term keys, per identity object: importing costs as much as a signature, and
 * the imported keys are non-extractable, so no raw converted secret stays in JS memory.
 */
const identities = new WeakMap<Uint8Array, Promise<CachedIdentity>>();

async function importIdentity(secretKey: Uint8Array): Promise<CachedIdentity> {
  const seed = secretKey.subarray(0, 32);
  const curve = curveSecretOf(seed);
  try {
    const [sign, dh] = await Promise.all([
      importPkcs8(PKCS8_ED25519, seed, 'Ed25519', false),
      importPkcs8(PKCS8_X25519, curve, 'X25519', false),
    ]);
    return { fingerprint: sha256(secretKey), sign, dh };
  } finally {
    curve.fill(0);
  }
}

/** Imported verification keys of recent peers' long-term keys (public data). */
const verifyKeys = new Map<string, Promise<CryptoKey>>();

const web: ShsCrypto = {
  path: 'webcrypto',
  async ephemeral(secret) {
    const s = subtle();
    let key: CryptoKey | null;
    let publicKey: Uint8Array;
    if (secret) {
      // Tests inject a raw scalar: import it extractable only to read the public key back.
      key = await importPkcs8(PKCS8_X25519, secret, 'X25519', true);
      const jwk = await s.exportKey('jwk', key);
      publicKey = fromBase64url(jwk.x!);
      jwk.d = '';
    } else {
      const pair = (await s.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
      key = pair.privateKey;
      // JWK, not 'raw': node 20 exports 'raw' through a DER SPKI encoding, ~6× the CPU.
      publicKey = fromBase64url((await s.exportKey('jwk', pair.publicKey)).x!);
    }
    const eph: EphemeralKey = {
      publicKey,
      async agree(peer) {
        return key ? webAgree(key, peer) : null;
      },
      destroy() {
        key = null;
      },
    };
    return eph;
  },
  async longTerm(identity) {
    checkIdentity(identity);
    let cached = identities.get(identity.secretKey);
    if (cached && !equalBytes((await cached).fingerprint, sha256(identity.secretKey))) cached = undefined;
    if (!cached) {
      cached = importIdentity(identity.secretKey);
      identities.set(identity.secretKey, cached);
    }
    const keys = await cached;
    const lt: LongTermKey = {
      publicKey: identity.publicKey,
      async sign(message) {
        return new Uint8Array(await subtle().sign({ name: 'Ed25519' }, keys.sign, own(message)));
      },
      async agree(peer) {
        return webAgree(keys.dh, peer);
      },
      destroy() {
        /* nothing raw to zero: the cached CryptoKeys are non-extractable */
      },
    };
    return lt;
  },
  async verify(signature, message, publicKey) {
    if (!preVerify(signature, publicKey)) return false;
    try {
      const s = subtle();
      const key = await remembered(verifyKeys, bytesToHex(publicKey), () =>
        s.importKey('raw', own(publicKey), { name: 'Ed25519' }, false, ['verify']),
      );
      return await s.verify({ name: 'Ed25519' }, key, own(signature), own(message));
    } catch {
      return false;
    }
  },
};

/** The native path. Throws on use if the runtime lacks `crypto.subtle` Ed25519/X25519. */
export { web as webCrypto };

let probe: Promise<boolean> | undefined;
/** Whether this runtime's `crypto.subtle` does Ed25519 and X25519 (probed once). */
export function webCryptoAvailable(): Promise<boolean> {
  probe ??= (async () => {
    try {
      const s = subtle();
      await s.generateKey({ name: 'X25519' }, false, ['deriveBits']);
      const ed = (await s.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
      await s.sign({ name: 'Ed25519' }, ed.privateKey, new Uint8Array(1));
      return true;
    } catch {
      return false;
    }
  })();
  return probe;
}

/**
 * The crypto path to use: `'auto'` (default) picks WebCrypto when the runtime has native
 * Ed25519 and X25519, else noble. Tests pass a path explicitly to run vectors through both.
 */
export async function selectShsCrypto(path: CryptoPath | 'auto' = 'auto'): Promise<ShsCrypto> {
  if (path === 'noble') return nobleCrypto;
  if (path === 'webcrypto') return web;
  return (await webCryptoAvailable()) ? web : nobleCrypto;
}

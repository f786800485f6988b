/**
 * Cryptographic primitives for secret-handshake v1 (`shs.ts`), kept apart from the protocol
 * logic the way the reference splits `crypto.js` from `protocol.js`.
 *
 * Two interchangeable paths implement the public-key operations (Scuttlebutt Protocol Guide,
 * "Handshake": X25519 key agreement and Ed25519 signatures):
 * - `webcrypto`: native Ed25519 and X25519 through `crypto.subtle` (node ≥ 20, Chromium);
 * - `noble`: pure JavaScript @noble/curves, for runtimes without them.
 * Hashes, HMAC and secretbox are small and always @noble. Ed25519→X25519 conversion and the
 * small-order checks use noble point operations on both paths.
 * @module
 */
import { ed25519, x25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { equalBytes } from '@noble/ciphers/utils.js';

/** Which implementation of Ed25519/X25519 a {@link ShsCrypto} uses. */
export type CryptoPath = 'webcrypto' | 'noble';

/**
 * A peer's X25519 public key. One object can serve several agreements (the WebCrypto path
 * imports it once and keeps the imported key in `imported`).
 */
export interface PeerKey {
  readonly bytes: Uint8Array;
  imported?: Promise<unknown>;
}

const peerKeys = new Map<string, PeerKey>();
/**
 * Wraps X25519 public key bytes for {@link EphemeralKey.agree}/{@link LongTermKey.agree}.
 * `remember` keeps it (bounded) for later handshakes: for long-term keys, which recur.
 */
export function peerKey(bytes: Uint8Array, remember = false): PeerKey {
  if (!remember) return { bytes: bytes.slice() };
  return remembered(peerKeys, bytesToHex(bytes), () => ({ bytes: bytes.slice() }));
}

/** A bounded memo of public-key derived values (oldest entry evicted first). */
export function remembered<T>(map: Map<string, T>, id: string, make: () => T): T {
  const hit = map.get(id);
  if (hit !== undefined) return hit;
  const v = make();
  if (map.size >= 256) map.delete(map.keys().next().value!);
  map.set(id, v);
  return v;
}

/** A one-handshake X25519 key pair. */
export interface EphemeralKey {
  readonly publicKey: Uint8Array;
  /** X25519 with `peer`; null if the peer key is degenerate (all-zero result). */
  agree(peer: PeerKey): Promise<Uint8Array | null>;
  /** Zeroes/drops the secret. */
  destroy(): void;
}

/** A long-term Ed25519 identity, with its X25519 conversion for the handshake's aB/Ab. */
export interface LongTermKey {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** X25519 of the converted long-term secret with `peer`; null if degenerate. */
  agree(peer: PeerKey): Promise<Uint8Array | null>;
  /** Zeroes raw secrets this object holds (none on the WebCrypto path, whose keys are non-extractable). */
  destroy(): void;
}

/**
 * Public-key operations used by the handshake; see the module doc for the two built-in paths.
 * A runtime with faster primitives can inject its own provider (node: `src/node/shs-node-crypto.ts`);
 * it must be as strict as these: {@link preVerify} before verifying, null for degenerate agreements.
 */
export interface ShsCrypto {
  /** A name for diagnostics: 'webcrypto', 'noble', or the injected provider's. */
  readonly path: string;
  /** A fresh ephemeral key, or (tests) one from a raw X25519 scalar. */
  ephemeral(secret?: Uint8Array): Promise<EphemeralKey>;
  longTerm(identity: { publicKey: Uint8Array; secretKey: Uint8Array }): Promise<LongTermKey>;
  /** Strict Ed25519 verification (RFC 8032 §5.1.7, no ZIP-215), small-order keys and R rejected. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean>;
}

// ---- small shared helpers -------------------------------------------------------------

/** SHA-256. */
export { sha256 };

/** SHA-256 of the concatenation of `parts`; the temporary concatenation (which holds secrets) is zeroed. */
export function sha256Of(...parts: Uint8Array[]): Uint8Array {
  const m = concatBytes(...parts);
  try {
    return sha256(m);
  } finally {
    m.fill(0);
  }
}

/** libsodium `crypto_auth`: HMAC-SHA-512 truncated to 32 bytes (not SHA-512/256). */
export function auth(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha512, key, message).slice(0, 32);
}

/**
 * {@link auth} with the key schedule done once: each machine authenticates two hellos with
 * the same network key. The returned function computes `auth(key, message)`.
 */
export function authWith(key: Uint8Array): (message: Uint8Array) => Uint8Array {
  const keyed = hmac.create(sha512, key);
  return (message) => {
    const h = keyed.clone();
    const out = h.update(message).digest();
    const tag = out.slice(0, 32);
    out.fill(0);
    return tag;
  };
}

const ZERO_NONCE = new Uint8Array(24);

/** libsodium `crypto_secretbox_easy` with the all-zero nonce SHS uses (each key boxes once). */
export function boxSeal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return xsalsa20poly1305(key, ZERO_NONCE.slice()).encrypt(plaintext);
}

/** `crypto_secretbox_open_easy` with the zero nonce; null if the box does not authenticate. */
export function boxOpen(key: Uint8Array, box: Uint8Array): Uint8Array | null {
  try {
    return xsalsa20poly1305(key, ZERO_NONCE.slice()).decrypt(box);
  } catch {
    return null;
  }
}

/** True if every byte is zero (a degenerate X25519 result, which libsodium also refuses). */
export function isAllZero(b: Uint8Array): boolean {
  let d = 0;
  for (const x of b) d |= x;
  return d === 0;
}

// ---- Ed25519 key checks (noble point operations, both paths) --------------------------

const Fp = ed25519.Point.Fp;
const P = Fp.ORDER;
const L = ed25519.Point.Fn.ORDER;
/** y coordinates of the 8 small-order points, from noble's torsion subgroup. */
const TORSION_Y = new Set(ED25519_TORSION_SUBGROUP.map((h) => ed25519.Point.fromBytes(hexToBytes(h)).toAffine().y));

function leToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** True when an encoded point's y (any encoding, canonical or not) is that of a small-order point (libsodium's R check). */
export function hasSmallOrderEncoding(point: Uint8Array): boolean {
  const y = leToBigint(point) & ((1n << 255n) - 1n);
  return TORSION_Y.has(y % P);
}

const curveCache = new Map<string, Uint8Array | null>();
const CURVE_CACHE_MAX = 1024;

/**
 * Converts an Ed25519 public key to X25519 (u = (1+y)/(1−y)), like libsodium's
 * `crypto_sign_ed25519_pk_to_curve25519`. Returns null when the key is not a canonical point
 * or has small order. Results are cached: public data, and contacts reconnect often.
 */
export function edPublicToCurve(publicKey: Uint8Array): Uint8Array | null {
  if (publicKey.length !== 32) return null;
  const id = bytesToHex(publicKey);
  const hit = curveCache.get(id);
  if (hit !== undefined) return hit && hit.slice();
  let out: Uint8Array | null = null;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    if (!point.isSmallOrder()) {
      const { y } = point.toAffine();
      out = Fp.toBytes(Fp.div(Fp.add(Fp.ONE, y), Fp.sub(Fp.ONE, y)));
    }
  } catch {
    out = null;
  }
  if (curveCache.size >= CURVE_CACHE_MAX) curveCache.delete(curveCache.keys().next().value!);
  curveCache.set(id, out);
  return out && out.slice();
}

/** Checks done before either path verifies: canonical S, acceptable A and R (libsodium's rules). */
export function preVerify(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  if (leToBigint(signature.subarray(32)) >= L) return false;
  if (hasSmallOrderEncoding(signature.subarray(0, 32))) return false;
  return edPublicToCurve(publicKey) !== null;
}

/** The X25519 secret of an Ed25519 seed: clamped SHA-512(seed)[0..32], as libsodium converts it. */
export function curveSecretOf(seed: Uint8Array): Uint8Array {
  const h = sha512(seed);
  const s = h.slice(0, 32);
  h.fill(0);
  s[0]! &= 248;
  s[31]! &= 127;
  s[31]! |= 64;
  return s;
}

const checkedIdentities = new WeakMap<Uint8Array, Uint8Array>();
/** Throws unless secretKey = seed ‖ publicKey (programmer mistake); the derivation runs once per secretKey object. */
export function checkIdentity(identity: { publicKey: Uint8Array; secretKey: Uint8Array }): void {
  const seed = identity.secretKey.subarray(0, 32);
  let derived = checkedIdentities.get(identity.secretKey);
  if (!derived) {
    derived = ed25519.getPublicKey(seed);
    checkedIdentities.set(identity.secretKey, derived);
  }
  if (!equalBytes(derived, identity.publicKey) || !equalBytes(identity.secretKey.subarray(32), identity.publicKey))
    throw new TypeError('identity: secretKey (seed ‖ publicKey) does not match publicKey');
}

// ---- noble path ------------------------------------------------------------------------

const noble: ShsCrypto = {
  path: 'noble',
  async ephemeral(secret) {
    let sk: Uint8Array | null = secret ? secret.slice() : x25519.utils.randomSecretKey();
    const publicKey = x25519.getPublicKey(sk);
    return {
      publicKey,
      async agree(peer) {
        return sk ? nobleAgree(sk, peer) : null;
      },
      destroy() {
        sk?.fill(0);
        sk = null;
      },
    };
  },
  async longTerm(identity) {
    checkIdentity(identity);
    let curve: Uint8Array | null = curveSecretOf(identity.secretKey.subarray(0, 32));
    const seed = identity.secretKey.subarray(0, 32);
    return {
      publicKey: identity.publicKey,
      async sign(message) {
        return ed25519.sign(message, seed);
      },
      async agree(peer) {
        return curve ? nobleAgree(curve, peer) : null;
      },
      destroy() {
        curve?.fill(0);
        curve = null;
      },
    };
  },
  async verify(signature, message, publicKey) {
    if (!preVerify(signature, publicKey)) return false;
    try {
      return ed25519.verify(signature, message, publicKey, { zip215: false });
    } catch {
      return false;
    }
  },
};

function nobleAgree(secret: Uint8Array, peer: PeerKey): Uint8Array | null {
  try {
    const out = x25519.getSharedSecret(secret, peer.bytes);
    return isAllZero(out) ? null : out;
  } catch {
    return null;
  }
}

/** The pure-JavaScript path. */
export { noble as nobleCrypto };

/**
 * A node-only {@link ShsCrypto} provider for secret-handshake v1 (`src/core/shs.ts`): Ed25519
 * and X25519 through node's synchronous native `crypto` (OpenSSL KeyObjects, `crypto.sign`,
 * `crypto.verify`, `crypto.diffieHellman`). Each call is a direct native call, without the
 * ~50 µs promise/thread-pool dispatch every `crypto.subtle` call costs in node
 * (docs/protocol.md, "Performance"). Browsers use the WebCrypto path; src/core stays free of
 * node built-ins, and node programs inject this object: `new ShsClient({ …, crypto: nodeShsCrypto })`.
 *
 * Strictness is the core's, not OpenSSL's: `preVerify` (canonical S, no small-order R, A a
 * canonical point of large order) runs before OpenSSL verifies, as libsodium's
 * `crypto_sign_verify_detached` requires (test/core/shs-property.test.ts checks the three
 * providers against libsodium); degenerate X25519 results are refused as on the other paths.
 * @module
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  checkIdentity,
  curveSecretOf,
  edPublicToCurve,
  isAllZero,
  preVerify,
  remembered,
  type EphemeralKey,
  type LongTermKey,
  type PeerKey,
  type ShsCrypto,
} from '../core/shs-crypto';

// Keys cross into OpenSSL as JWK (RFC 8037 OKP): in node 20 parsing a DER SPKI/PKCS#8 key
// costs ~80/380 µs (OpenSSL 3's decoder), a JWK ~10/30 µs; exporting likewise (docs/protocol.md).
type Curve = 'Ed25519' | 'X25519';
const b64u = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/** A private KeyObject from a raw 32-byte secret; `pub` is its public key (JWK requires it). */
function privateKey(crv: Curve, raw: Uint8Array, pub: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv, d: b64u(raw), x: b64u(pub) }, format: 'jwk' });
}

function publicKey(crv: Curve, raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64u(raw) }, format: 'jwk' });
}

/** The raw 32 bytes of a public KeyObject. */
function rawPublic(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'));
}

/** Imported X25519 keys per {@link PeerKey} object: one import serves its several agreements. */
const peerKeys = new WeakMap<PeerKey, KeyObject>();
function imported(peer: PeerKey): KeyObject {
  let key = peerKeys.get(peer);
  if (!key) {
    key = publicKey('X25519', peer.bytes);
    peerKeys.set(peer, key);
  }
  return key;
}

function agree(secret: KeyObject, peer: PeerKey): Uint8Array | null {
  try {
    const out = new Uint8Array(diffieHellman({ privateKey: secret, publicKey: imported(peer) }));
    return isAllZero(out) ? null : out;
  } catch {
    return null;
  } // OpenSSL refuses an all-zero result itself: a small-order peer key
}

interface CachedIdentity {
  fingerprint: Uint8Array;
  sign: KeyObject;
  dh: KeyObject;
}
/** Long-term KeyObjects per identity object (re-imported if the bytes change underneath). */
const identities = new WeakMap<Uint8Array, CachedIdentity>();
/** Verification keys of recent peers' long-term keys (public data). */
const verifyKeys = new Map<string, KeyObject>();

/** The node-native provider; pass it as `crypto` in ShsClient/ShsServer options. */
export const nodeShsCrypto: ShsCrypto = {
  path: 'node',
  async ephemeral(secret) {
    let key: KeyObject | null;
    let pub: Uint8Array;
    if (secret) {
      pub = x25519.getPublicKey(secret); // tests only: a known-answer ephemeral
      key = privateKey('X25519', secret, pub);
    } else {
      const pair = generateKeyPairSync('x25519');
      key = pair.privateKey;
      pub = rawPublic(pair.publicKey);
    }
    return {
      publicKey: pub,
      async agree(peer) {
        return key ? agree(key, peer) : null;
      },
      destroy() {
        key = null;
      },
    } satisfies EphemeralKey;
  },
  async longTerm(identity) {
    checkIdentity(identity);
    let keys = identities.get(identity.secretKey);
    const fingerprint = sha256(identity.secretKey);
    if (!keys || !equalBytes(keys.fingerprint, fingerprint)) {
      const seed = identity.secretKey.subarray(0, 32),
        curve = curveSecretOf(seed);
      const curvePublic = edPublicToCurve(identity.publicKey);
      if (!curvePublic) throw new TypeError('identity: publicKey is not a usable Ed25519 key (small order)');
      try {
        keys = {
          fingerprint,
          sign: privateKey('Ed25519', seed, identity.publicKey),
          dh: privateKey('X25519', curve, curvePublic),
        };
      } finally {
        curve.fill(0);
      }
      identities.set(identity.secretKey, keys);
    }
    const k = keys;
    return {
      publicKey: identity.publicKey,
      async sign(message) {
        return new Uint8Array(sign(null, message, k.sign));
      },
      async agree(peer) {
        return agree(k.dh, peer);
      },
      destroy() {
        /* the cached KeyObjects hold the secrets in OpenSSL memory, not in JS arrays */
      },
    } satisfies LongTermKey;
  },
  async verify(signature, message, pub) {
    if (!preVerify(signature, pub)) return false;
    try {
      const key = remembered(verifyKeys, bytesToHex(pub), () => publicKey('Ed25519', pub));
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};

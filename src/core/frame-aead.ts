/**
 * Key derivation and the AES-256-GCM backends behind secure frames (docs/protocol-frames.md,
 * "Keys and nonces" and "AEAD"). Split from `frames.ts` so that the channel state machine stays
 * small; nothing here knows about frame types or counters beyond building a nonce.
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { extract, expand } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** Which AES-256-GCM implementation a channel uses. `auto`: WebCrypto when present, else noble. */
export type AeadBackend = 'webcrypto' | 'noble' | 'auto';

/** Length of the AES-256-GCM tag appended to every frame's ciphertext. */
export const TAG_LENGTH = 16;

// HKDF labels (docs/protocol-frames.md, "Keys and nonces"). The salt names the protocol and
// version; each output has its own `info`, so the AES key and the nonce prefix are independent
// and no other Parley derivation (which uses other labels) can collide with them.
const SALT = utf8ToBytes('parley/frames/1');
const INFO_KEY = utf8ToBytes('parley/frames/1 aes-256-gcm key');
const INFO_NONCE = utf8ToBytes('parley/frames/1 nonce prefix');

/** One direction's AEAD key and 12-byte nonce prefix. */
export interface DirectionKeys {
  key: Uint8Array;
  noncePrefix: Uint8Array;
}

/**
 * HKDF-SHA-256 (RFC 5869) from one direction's box-stream key (32) and nonce (24), as SHS hands
 * them out (`encryptKey`/`encryptNonce` on one side equal `decryptKey`/`decryptNonce` on the
 * other), to a 32-byte AES key and a 12-byte nonce prefix. The inputs are not modified.
 */
export function deriveDirection(boxKey: Uint8Array, boxNonce: Uint8Array): DirectionKeys {
  const ikm = new Uint8Array(56);
  ikm.set(boxKey, 0);
  ikm.set(boxNonce, 32);
  const prk = extract(sha256, ikm, SALT);
  const out = { key: expand(sha256, prk, INFO_KEY, 32), noncePrefix: expand(sha256, prk, INFO_NONCE, 12) };
  ikm.fill(0);
  prk.fill(0);
  return out;
}

/**
 * The 96-bit GCM nonce for frame `counter` (0 ≤ counter < 2^32): the prefix XOR the counter as a
 * big-endian integer in its last 4 bytes (the TLS 1.3 construction, RFC 8446 §5.3). Distinct
 * counters give distinct nonces under one key.
 */
export function frameNonce(prefix: Uint8Array, counter: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  nonce.set(prefix);
  nonce[8]! ^= counter >>> 24;
  nonce[9]! ^= (counter >>> 16) & 0xff;
  nonce[10]! ^= (counter >>> 8) & 0xff;
  nonce[11]! ^= counter & 0xff;
  return nonce;
}

/** AES-256-GCM under one fixed key. `seal` reads `plaintext` before it returns. */
export interface Aead {
  seal(nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, plaintext: Uint8Array): Promise<Uint8Array>;
  /** ciphertext ‖ tag → plaintext, or null when it does not authenticate. Never rejects. */
  open(nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, sealed: Uint8Array): Promise<Uint8Array | null>;
  /** Forgets the key: zeroes it where JavaScript allows (a CryptoKey can only be dropped). */
  destroy(): void;
}

/** Whether WebCrypto's AES-GCM can be used in this runtime. */
export function hasWebCrypto(): boolean {
  return typeof globalThis.crypto?.subtle?.importKey === 'function';
}

/** Copies `u` into a fresh ArrayBuffer-backed array unless it already is one (crypto.subtle wants that). */
function own(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return u.buffer instanceof ArrayBuffer ? (u as Uint8Array<ArrayBuffer>) : new Uint8Array(u);
}

class WebCryptoAead implements Aead {
  constructor(private key: CryptoKey | null) {}
  seal(nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, plaintext: Uint8Array): Promise<Uint8Array> {
    if (!this.key) return Promise.reject(new Error('frames: key already destroyed'));
    // WebCrypto copies `plaintext` synchronously (WebCrypto §14.3.1 step 2), so callers may reuse it.
    return globalThis.crypto.subtle
      .encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 }, this.key, own(plaintext))
      .then((ct) => new Uint8Array(ct));
  }
  async open(
    nonce: Uint8Array<ArrayBuffer>,
    aad: Uint8Array<ArrayBuffer>,
    sealed: Uint8Array,
  ): Promise<Uint8Array | null> {
    if (!this.key) return null;
    try {
      const pt = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: 128 },
        this.key,
        own(sealed),
      );
      return new Uint8Array(pt);
    } catch {
      return null; // OperationError: the tag did not verify
    }
  }
  destroy(): void {
    this.key = null;
  }
}

class NobleAead implements Aead {
  constructor(
    private readonly key: Uint8Array,
    private alive = true,
  ) {}
  seal(nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, plaintext: Uint8Array): Promise<Uint8Array> {
    if (!this.alive) return Promise.reject(new Error('frames: key already destroyed'));
    return Promise.resolve(gcm(this.key, nonce, aad).encrypt(plaintext)); // computed now: plaintext read before return
  }
  open(nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, sealed: Uint8Array): Promise<Uint8Array | null> {
    if (!this.alive) return Promise.resolve(null);
    try {
      return Promise.resolve(gcm(this.key, nonce, aad).decrypt(sealed));
    } catch {
      return Promise.resolve(null); // noble throws on a bad tag (and on input shorter than the tag)
    }
  }
  destroy(): void {
    this.alive = false;
    this.key.fill(0);
  }
}

/**
 * An {@link Aead} for `key` (32 bytes) on the chosen backend. Takes ownership of `key`: the
 * WebCrypto path zeroes it once imported, the noble path zeroes it on `destroy()`.
 */
export async function createAead(key: Uint8Array, backend: AeadBackend): Promise<Aead> {
  const useWebCrypto = backend === 'webcrypto' || (backend === 'auto' && hasWebCrypto());
  if (!useWebCrypto) return new NobleAead(key);
  if (!hasWebCrypto()) throw new Error('frames: backend "webcrypto" requested but globalThis.crypto.subtle is absent');
  try {
    const ck = await globalThis.crypto.subtle.importKey('raw', own(key), { name: 'AES-GCM' }, false, [
      'encrypt',
      'decrypt',
    ]);
    return new WebCryptoAead(ck);
  } finally {
    key.fill(0);
  }
}

/**
 * Ratchet message headers and their encryption (Signal Double Ratchet spec, section 4
 * "Double Ratchet with header encryption": HEADER, HENCRYPT, HDECRYPT).
 *
 * A header is `dh (32, X25519 public key) ‖ pn (u32 BE) ‖ n (u32 BE)`, 40 bytes. An encrypted
 * header is `nonce (24) ‖ XChaCha20-Poly1305(hk, nonce, header, ad) (40 + 16)`, 80 bytes.
 * A header key encrypts many headers, so its nonce must be random (section 4 asks for
 * HENCRYPT to be safe under a reused key); XChaCha's 192-bit nonce makes random nonces safe.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { assertBytes } from './errors';

/** Plaintext header length. */
export const HEADER_LENGTH = 40;
/** XChaCha20-Poly1305 nonce length. */
export const NONCE_LENGTH = 24;
/** Poly1305 tag length. */
export const TAG_LENGTH = 16;
/** Encrypted header length on the wire. */
export const ENC_HEADER_LENGTH = NONCE_LENGTH + HEADER_LENGTH + TAG_LENGTH;

/** HEADER(dh_pair, pn, n) of spec section 3.1: the sender's ratchet key and two counters. */
export interface Header {
  readonly dh: Uint8Array;
  /** Number of messages in the sender's previous sending chain. */
  readonly pn: number;
  /** Message number in the current sending chain. */
  readonly n: number;
}

function assertU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${name}: expected a u32, got ${v}`);
}

/** Serializes a {@link Header} to its 40 bytes. */
export function encodeHeader(h: Header): Uint8Array {
  assertBytes('header.dh', h.dh, 32);
  assertU32('header.pn', h.pn);
  assertU32('header.n', h.n);
  const out = new Uint8Array(HEADER_LENGTH);
  out.set(h.dh, 0);
  const view = new DataView(out.buffer);
  view.setUint32(32, h.pn);
  view.setUint32(36, h.n);
  return out;
}

/** Parses 40 header bytes; returns null for any other length. */
export function decodeHeader(bytes: Uint8Array): Header | null {
  if (bytes.length !== HEADER_LENGTH) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dh: bytes.slice(0, 32), pn: view.getUint32(32), n: view.getUint32(36) };
}

/** HENCRYPT (spec section 4): `nonce ‖ AEAD(hk, nonce, header, ad)`; `nonce` is 24 random bytes. */
export function encryptHeader(hk: Uint8Array, header: Header, ad: Uint8Array, nonce: Uint8Array): Uint8Array {
  assertBytes('hk', hk, 32);
  assertBytes('nonce', nonce, NONCE_LENGTH);
  const sealed = xchacha20poly1305(hk, nonce, ad).encrypt(encodeHeader(header));
  const out = new Uint8Array(NONCE_LENGTH + sealed.length);
  out.set(nonce, 0);
  out.set(sealed, NONCE_LENGTH);
  return out;
}

/**
 * HDECRYPT (spec section 4): the header if `encHeader` authenticates under `hk` and `ad`,
 * else null (wrong key, tampered, or not a header at all).
 */
export function decryptHeader(hk: Uint8Array | null, encHeader: Uint8Array, ad: Uint8Array): Header | null {
  if (hk === null || encHeader.length !== ENC_HEADER_LENGTH) return null;
  try {
    const plain = xchacha20poly1305(hk, encHeader.subarray(0, NONCE_LENGTH), ad).decrypt(
      encHeader.subarray(NONCE_LENGTH),
    );
    return decodeHeader(plain);
  } catch {
    return null;
  }
}

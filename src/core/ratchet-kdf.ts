/**
 * Key derivation functions of Parley's Double Ratchet.
 *
 * Implements the KDFs recommended in the Signal Double Ratchet specification (rev. 1,
 * 2016-11-20), section 5.2 "Recommended cryptographic algorithms", with the header-encryption
 * variant of section 4 (KDF_RK_HE also outputs the next header key):
 * - KDF_RK = HKDF-SHA256 with the root key as salt and the DH output as input key material;
 * - KDF_CK = HMAC-SHA256 keyed by the chain key, input 0x01 for the message key and 0x02 for
 *   the next chain key;
 * - ENCRYPT's key material = HKDF-SHA256 of the message key with a zero salt.
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes } from './errors';

/** Domain-separation strings; changing any of them is a protocol version change. */
export const RATCHET_INFO = {
  rootKdf: 'parley/ratchet/1/kdf-rk',
  messageKeys: 'parley/ratchet/1/message-keys',
  init: 'parley/ratchet/1/init',
} as const;

const MESSAGE_KEY_SEED = Uint8Array.of(0x01);
const CHAIN_KEY_SEED = Uint8Array.of(0x02);
const ZERO_SALT = new Uint8Array(32);

/**
 * KDF_RK_HE (spec sections 4 and 5.2): `HKDF-SHA256(salt = rk, ikm = dhOut, info)` → 96 bytes
 * split into the new root key, the new chain key and the next header key.
 */
export function kdfRk(rk: Uint8Array, dhOut: Uint8Array): { rk: Uint8Array; ck: Uint8Array; nhk: Uint8Array } {
  assertBytes('rk', rk, 32);
  assertBytes('dhOut', dhOut, 32);
  const out = hkdf(sha256, dhOut, rk, utf8ToBytes(RATCHET_INFO.rootKdf), 96);
  return { rk: out.slice(0, 32), ck: out.slice(32, 64), nhk: out.slice(64, 96) };
}

/**
 * KDF_CK (spec section 5.2): message key = HMAC-SHA256(ck, 0x01), next chain key =
 * HMAC-SHA256(ck, 0x02). The same constants as libsignal's `ChainKey`.
 */
export function kdfCk(ck: Uint8Array): { ck: Uint8Array; mk: Uint8Array } {
  assertBytes('ck', ck, 32);
  return { ck: hmac(sha256, ck, CHAIN_KEY_SEED), mk: hmac(sha256, ck, MESSAGE_KEY_SEED) };
}

/**
 * ENCRYPT's key schedule (spec section 5.2): `HKDF-SHA256(salt = 32 zero bytes, ikm = mk,
 * info)` → `length` bytes. Parley uses `info = RATCHET_INFO.messageKeys` and 56 bytes
 * (XChaCha20-Poly1305 key ‖ nonce); `info` and `length` are parameters so that libsignal's
 * chain-key vector ("WhisperMessageKeys", 80 bytes) can be checked against the same code.
 */
export function messageKeyMaterial(mk: Uint8Array, info: string = RATCHET_INFO.messageKeys, length = 56): Uint8Array {
  assertBytes('mk', mk, 32);
  return hkdf(sha256, mk, ZERO_SALT, utf8ToBytes(info), length);
}

/**
 * Splits the pairwise session key SK (from `kx.ts`) into what RatchetInitAliceHE /
 * RatchetInitBobHE (spec section 4) take: the first root key, `shared_hka` (the initiator's
 * first sending header key) and `shared_nhkb` (the responder's first next header key).
 */
export function initialKeys(sessionKey: Uint8Array): { rk: Uint8Array; hka: Uint8Array; nhkb: Uint8Array } {
  assertBytes('sessionKey', sessionKey, 32);
  const out = hkdf(sha256, sessionKey, ZERO_SALT, utf8ToBytes(RATCHET_INFO.init), 96);
  return { rk: out.slice(0, 32), hka: out.slice(32, 64), nhkb: out.slice(64, 96) };
}

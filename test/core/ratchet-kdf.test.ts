import { describe, expect, it } from 'vitest';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { RATCHET_INFO, initialKeys, kdfCk, kdfRk, messageKeyMaterial } from '../../src/core/ratchet-kdf';

describe("KDF_CK against libsignal's published chain-key vector", () => {
  // libsignal-protocol-java, tests/.../ratchet/ChainKeyTest.java, testChainKeyDerivationV3
  // (the same values are in libsignal's Rust keys.rs test_chain_key_derivation).
  const seed = '8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f';
  const cipherKey = 'bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217';
  const macKey = 'c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b';
  const nextChainKey = '28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d';

  it('next chain key = HMAC-SHA256(ck, 0x02)', () => {
    expect(bytesToHex(kdfCk(hexToBytes(seed)).ck)).toBe(nextChainKey);
  });
  it('message key = HMAC-SHA256(ck, 0x01), expanded by HKDF with a zero salt', () => {
    const { mk } = kdfCk(hexToBytes(seed));
    const km = messageKeyMaterial(mk, 'WhisperMessageKeys', 80);
    expect(bytesToHex(km.subarray(0, 32))).toBe(cipherKey);
    expect(bytesToHex(km.subarray(32, 64))).toBe(macKey);
  });
  it('rejects wrong key sizes by argument name', () => {
    expect(() => kdfCk(new Uint8Array(31))).toThrow(/ck: expected 32 bytes/);
    expect(() => kdfRk(new Uint8Array(32), new Uint8Array(3))).toThrow(/dhOut: expected 32 bytes/);
  });
});

describe('HKDF / HMAC primitives (RFC 5869, RFC 4231)', () => {
  it('RFC 5869 test case 1 (HKDF-SHA256)', () => {
    const okm = hkdf(
      sha256,
      hexToBytes('0b'.repeat(22)),
      hexToBytes('000102030405060708090a0b0c'),
      hexToBytes('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(bytesToHex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
  it('RFC 4231 test case 2 (HMAC-SHA256)', () => {
    expect(bytesToHex(hmac(sha256, utf8ToBytes('Jefe'), utf8ToBytes('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe("Parley's KDF_RK and init split", () => {
  it('KDF_RK is HKDF(salt = rk, ikm = dh) split 32/32/32', () => {
    const rk = new Uint8Array(32).fill(1),
      dh = new Uint8Array(32).fill(2);
    const out = hkdf(sha256, dh, rk, utf8ToBytes(RATCHET_INFO.rootKdf), 96);
    const r = kdfRk(rk, dh);
    expect([r.rk, r.ck, r.nhk]).toEqual([out.slice(0, 32), out.slice(32, 64), out.slice(64)]);
  });
  it('initial keys are three distinct values from the session key', () => {
    const k = initialKeys(new Uint8Array(32).fill(9));
    expect(new Set([k.rk, k.hka, k.nhkb].map(bytesToHex)).size).toBe(3);
  });
});

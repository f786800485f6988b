import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { parseState } from '../../src/core/ratchet';
import { VECTOR_PATH, generateRatchetVectors } from './ratchet-vectors';

const stored = JSON.parse(readFileSync(VECTOR_PATH, 'utf8'));
type SendStep = {
  op: 'send';
  plaintext: string;
  chainKey: string;
  messageKey: string;
  nextChainKey: string;
  bodyKey: string;
  bodyNonce: string;
  headerKey: string;
  headerPlain: string;
  encHeader: string;
  message: string;
  header: { dh: string; pn: number; n: number };
};

describe('test/vectors/parley-ratchet.json', () => {
  it('is exactly what the current code generates from the same seeds', async () => {
    expect(JSON.parse(JSON.stringify(await generateRatchetVectors()))).toEqual(stored);
  });

  it('every send step checks out against the primitives directly (spec section 4 + 5.2)', () => {
    const ad = hexToBytes(stored.ratchet.ad);
    const sends = (stored.ratchet.steps as { op: string }[]).filter((s): s is SendStep => s.op === 'send');
    expect(sends.length).toBe(7);
    for (const s of sends) {
      const ck = hexToBytes(s.chainKey);
      expect(bytesToHex(hmac(sha256, ck, Uint8Array.of(1)))).toBe(s.messageKey);
      expect(bytesToHex(hmac(sha256, ck, Uint8Array.of(2)))).toBe(s.nextChainKey);
      const km = hkdf(
        sha256,
        hexToBytes(s.messageKey),
        new Uint8Array(32),
        utf8ToBytes('parley/ratchet/1/message-keys'),
        56,
      );
      expect(bytesToHex(km)).toBe(s.bodyKey + s.bodyNonce);
      const msg = hexToBytes(s.message);
      expect(msg[0]).toBe(1);
      expect(bytesToHex(msg.subarray(1, 81))).toBe(s.encHeader);
      const enc = msg.subarray(1, 81);
      const header = xchacha20poly1305(
        hexToBytes(s.headerKey),
        enc.subarray(0, 24),
        concatBytes(ad, Uint8Array.of(1)),
      ).decrypt(enc.subarray(24));
      expect(bytesToHex(header)).toBe(s.headerPlain);
      expect(s.headerPlain).toBe(
        s.header.dh + s.header.pn.toString(16).padStart(8, '0') + s.header.n.toString(16).padStart(8, '0'),
      );
      const body = xchacha20poly1305(
        hexToBytes(s.bodyKey),
        hexToBytes(s.bodyNonce),
        concatBytes(ad, msg.subarray(0, 81)),
      ).decrypt(msg.subarray(81));
      expect(new TextDecoder().decode(body)).toBe(s.plaintext);
    }
  });

  it('every stored state parses, and receive steps recover the plaintext that was sent', () => {
    const steps = stored.ratchet.steps as {
      op: string;
      index: number;
      plaintext: string;
      senderState?: unknown;
      receiverState?: unknown;
    }[];
    const sent = steps.filter((s) => s.op === 'send');
    for (const s of steps) {
      expect(parseState(s.senderState ?? s.receiverState).ok).toBe(true);
      if (s.op === 'receive') expect(s.plaintext).toBe(sent[s.index]?.plaintext);
    }
    expect(stored.ratchet.rootKey0).toBe(
      bytesToHex(
        hkdf(
          sha256,
          hexToBytes(stored.kx.sessionKey),
          new Uint8Array(32),
          utf8ToBytes('parley/ratchet/1/init'),
          96,
        ).subarray(0, 32),
      ),
    );
  });
});

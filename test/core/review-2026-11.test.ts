/**
 * Attack tests from the security review of November 2026 (docs/review-2026-11.md). Each one
 * failed on the code as reviewed and passes with the fix named in the review.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { describe, expect, it } from 'vitest';
import { deriveDirection, frameNonce } from '../../src/core/frame-aead';
import { FrameChannel } from '../../src/core/frames';
import { Kx } from '../../src/core/kx';
import { encrypt, parseState, serializeState } from '../../src/core/ratchet';
import { decodeTransfer, encodeTransfer, fileNameProblem } from '../../src/core/transfer-codec';
import { pair as framePair, outcome } from '../support/frame-pair';
import { makeIdentity, one, peerOf, seededRandom } from './kx-helpers';
import { mustDecrypt, pair as ratchetPair } from './ratchet-helpers';

describe('R1 transfer: file names with C1 control characters (docs/files.md: "no control characters")', () => {
  it('an offer naming a file with U+0085 or U+009B (C1 controls) is refused', () => {
    // Build an honest offer for "aéb" (é = C3 A9), then swap é for a C1 control of the same
    // UTF-8 length: U+0085 NEL (C2 85) or U+009B CSI (C2 9B, a terminal escape introducer).
    const offer = encodeTransfer({
      type: 'offer',
      id: new Uint8Array(16),
      files: [
        {
          name: 'a\u00e9b',
          type: '',
          size: 5,
          chunkSize: 1024,
        },
      ],
    });
    const at = offer.findIndex((b, i) => b === 0xc3 && offer[i + 1] === 0xa9);
    expect(at).toBeGreaterThan(0);
    for (const second of [0x85, 0x9b]) {
      const hostile = offer.slice();
      hostile[at + 1] = second; // C2 xx
      hostile[at] = 0xc2;
      const d = decodeTransfer(hostile, 'receiver');
      expect(
        d.ok ? `accepted name ${JSON.stringify(d.message.type === 'offer' && d.message.files[0]!.name)}` : d.code,
      ).toBe('TRANSFER_MALFORMED');
    }
    expect(fileNameProblem('x\u009b31m.txt')).not.toBeNull();
    expect(fileNameProblem('r\u00e9sum\u00e9.pdf')).toBeNull(); // non-control Latin-1 stays fine
  });
});

describe('R2 frames: a key confirmation must be empty (docs/protocol-frames.md "Wire format")', () => {
  it('a confirmation frame carrying a payload is FRAME_MALFORMED, not silently accepted', async () => {
    const p = await framePair('noble');
    // The peer (A) seals a type-0x01 frame at counter 0 with a payload, under its real key.
    const d = deriveDirection(p.keys.a.encryptKey, p.keys.a.encryptNonce);
    const header = Uint8Array.of(0x01, 0x01, 0, 0, 0, 0);
    const sealed = gcm(d.key, frameNonce(d.noncePrefix, 0), header).encrypt(new TextEncoder().encode('smuggled'));
    const frame = new Uint8Array(header.length + sealed.length);
    frame.set(header);
    frame.set(sealed, header.length);
    const r = await p.b.open(frame);
    expect(outcome(r)).toBe('FRAME_MALFORMED');
    // The channel is dead afterwards, as for every Failure.
    expect(outcome(await p.b.open(await p.a.confirmation()))).toBe('FRAME_MALFORMED');
  });
  it('an honest empty confirmation still confirms', async () => {
    const p = await framePair('noble');
    expect(outcome(await p.b.open(await p.a.confirmation()))).toBe('confirmed');
    expect(p.b).toBeInstanceOf(FrameChannel);
  });
});

describe('R3 kx: a failed kx wipes what it derived (docs/security-kx.md: "any failure is final and wipes")', () => {
  type Inside = {
    keys?: { sessionKey: Uint8Array; confirmOwn: Uint8Array; confirmPeer: Uint8Array };
    ratchetKeyPair?: { secretKey: Uint8Array };
  };
  const zero = (b: Uint8Array) => b.every((x) => x === 0);
  it('after a bad CONFIRM, the derived session and confirm keys and the ratchet secret are zero', () => {
    const A = makeIdentity(seededRandom('wipe/A-id'));
    const B = makeIdentity(seededRandom('wipe/B-id'));
    const a = new Kx({ role: 'initiator', identity: A, peer: peerOf(B), random: seededRandom('wipe/A') });
    const b = new Kx({ role: 'responder', identity: B, peer: peerOf(A), random: seededRandom('wipe/B') });
    const [cA, cB] = [one(a.start()), one(b.start())];
    const [rA, rB] = [one(a.receive(cB)), one(b.receive(cA))];
    one(a.receive(rB));
    const confB = one(b.receive(rA));
    const inB = b as unknown as Inside;
    const secretsB = [inB.keys!.sessionKey, inB.keys!.confirmOwn, inB.keys!.confirmPeer, inB.ratchetKeyPair!.secretKey];
    expect(secretsB.some(zero)).toBe(false);
    const forged = confB.slice();
    forged[7] = forged[7]! ^ 1; // a tampered CONFIRM for B (B's own, reflected and damaged)
    const r = b.receive(forged);
    expect(r.ok ? 'ok' : r.code).toBe('KX_BAD_CONFIRMATION');
    for (const s of secretsB) expect(zero(s)).toBe(true);
    const inA = a as unknown as Inside;
    const secretsA = [inA.keys!.sessionKey, inA.keys!.confirmOwn, inA.keys!.confirmPeer];
    const r2 = a.receive(new Uint8Array(33).fill(3));
    expect(r2.ok ? 'ok' : r2.code).toBe('KX_BAD_CONFIRMATION');
    for (const s of secretsA) expect(zero(s)).toBe(true);
  });
});

describe('R4 ratchet: parseState refuses a state that decrypt cannot use', () => {
  it('a stored state with a receiving header key but no receiving chain key is RATCHET_STATE_INVALID (decrypt would throw)', async () => {
    const { a, b } = await ratchetPair('r4');
    const m1 = encrypt(a, new TextEncoder().encode('one'));
    const m2 = encrypt(m1.state, new TextEncoder().encode('two'));
    const bob = (await mustDecrypt(b, m1.message)).state;
    const json = { ...serializeState(bob), ckr: null };
    const parsed = parseState(json);
    expect(parsed.ok ? 'accepted' : parsed.code).toBe('RATCHET_STATE_INVALID');
    if (!parsed.ok) expect(parsed.message).toMatch(/ckr/);
    // Still fine when consistent.
    expect(parseState(serializeState(bob)).ok).toBe(true);
    expect((await mustDecrypt(bob, m2.message)).text).toBe('two');
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  Kx,
  buildReveal,
  commitTranscript,
  computeCommitment,
  confirmationMac,
  generateKemKeyPair,
  kemPublicKeyOf,
  ratchetFromKx,
  type KxContext,
  type KxIdentity,
  type KxStep,
} from '../../src/core/kx';
import { decrypt, encrypt } from '../../src/core/ratchet';
import { makeIdentity, one, peerOf, runKx, seededRandom } from './kx-helpers';

const ctxOf = (I: KxIdentity, R: KxIdentity): KxContext => ({
  idI: I.ed25519.publicKey,
  idR: R.ed25519.publicKey,
  kemI: I.kem.publicKey,
  kemR: R.kem.publicKey,
});
const expectFailure = (step: KxStep, code: string) => {
  expect(step.ok).toBe(false);
  if (!step.ok) expect(step.code).toBe(code);
};

describe('kx identity helpers', () => {
  it('generates ML-KEM-768 key pairs and recovers the public key from the secret key', () => {
    const k = generateKemKeyPair();
    expect(k.publicKey.length).toBe(1184);
    expect(k.secretKey.length).toBe(2400);
    expect(kemPublicKeyOf(k.secretKey)).toEqual(k.publicKey);
    expect(generateKemKeyPair(new Uint8Array(64).fill(1))).toEqual(generateKemKeyPair(new Uint8Array(64).fill(1)));
    expect(() => generateKemKeyPair(new Uint8Array(32))).toThrow(/seed: expected 64 bytes/);
  });
  it('names bad arguments', () => {
    const A = makeIdentity(seededRandom('args/A'));
    const B = makeIdentity(seededRandom('args/B'));
    expect(
      () => new Kx({ role: 'initiator', identity: A, peer: { ...peerOf(B), kemPublicKey: new Uint8Array(10) } }),
    ).toThrow(/peer.kemPublicKey/);
    const kx = new Kx({ role: 'initiator', identity: A, peer: peerOf(B) });
    expect(() => kx.receive(new Uint8Array(33))).toThrow(/receive\(\) before start\(\)/);
    kx.start();
    expect(() => kx.start()).toThrow(/start\(\) called twice/);
  });
});

describe('kx transcript and confirmation', () => {
  it('both sides derive the same session key and transcript hash, recomputable from the messages', () => {
    const r = runKx('honest');
    expect(r.resultA.sessionKey).toEqual(r.resultB.sessionKey);
    expect(r.resultA.transcriptHash).toEqual(r.resultB.transcriptHash);
    // Independent recomputation from what the spec in kx.ts says, using the known randomness.
    const rndA = seededRandom('honest/A');
    const rndB = seededRandom('honest/B');
    const shareA = rndA(32),
      nonceA = rndA(32);
    const shareB = rndB(32),
      nonceB = rndB(32);
    const ratchetSecretB = rndB(32);
    const ratchetKeyB = r.resultB.ratchetKeyPair?.publicKey as Uint8Array;
    expect(r.resultB.ratchetKeyPair?.secretKey).toEqual(ratchetSecretB);
    expect(r.resultA.peerRatchetKey).toEqual(ratchetKeyB);
    const ctx = ctxOf(r.A, r.B);
    expect(r.commitA.subarray(1)).toEqual(computeCommitment(ctx, 'initiator', { share: shareA, nonce: nonceA }));
    expect(r.commitB.subarray(1)).toEqual(
      computeCommitment(ctx, 'responder', { share: shareB, nonce: nonceB, ratchetKey: ratchetKeyB }),
    );
    const th0 = commitTranscript(ctx, r.commitA.subarray(1), r.commitB.subarray(1));
    const th = sha256(concatBytes(utf8ToBytes('parley/kx/1/transcript'), th0, r.revealA, r.revealB));
    expect(r.resultA.transcriptHash).toEqual(th);
    const okm = hkdf(
      sha256,
      shareA.map((x, i) => x ^ (shareB[i] as number)),
      th,
      utf8ToBytes('parley/kx/1/keys'),
      96,
    );
    expect(r.resultA.sessionKey).toEqual(okm.slice(0, 32));
    expect(r.confirmA.subarray(1)).toEqual(confirmationMac(okm.slice(32, 64), 'initiator', th));
    expect(r.confirmB.subarray(1)).toEqual(confirmationMac(okm.slice(64, 96), 'responder', th));
    expect(r.resultA.initiatorIdentity).toEqual(r.A.ed25519.publicKey);
    expect(r.resultB.responderIdentity).toEqual(r.B.ed25519.publicKey);
  });

  it("a session key only comes with the peer's valid confirmation, and the ratchet starts from it", async () => {
    const r = runKx('ratchet-start');
    let a = await ratchetFromKx(r.resultA);
    let b = await ratchetFromKx(r.resultB);
    const m1 = encrypt(a, utf8ToBytes('hello Bob'));
    a = m1.state;
    const d1 = await decrypt(b, m1.message, 0);
    expect(d1.ok && new TextDecoder().decode(d1.plaintext)).toBe('hello Bob');
    if (d1.ok) b = d1.newState;
    const m2 = encrypt(b, utf8ToBytes('hi Alice'));
    const d2 = await decrypt(a, m2.message, 0);
    expect(d2.ok && new TextDecoder().decode(d2.plaintext)).toBe('hi Alice');
  });

  it('two runs between the same people give unrelated keys', () => {
    expect(runKx('s1').resultA.sessionKey).not.toEqual(runKx('s2').resultA.sessionKey);
  });
});

/** Whether `needle` occurs anywhere in `hay` (raw bytes). */
function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('kx eavesdropper', () => {
  it('the wire carries no share, nonce, ratchet key or session key in the clear', () => {
    const r = runKx('eve');
    const wire = concatBytes(r.commitA, r.commitB, r.revealA, r.revealB, r.confirmA, r.confirmB);
    const rndA = seededRandom('eve/A'),
      rndB = seededRandom('eve/B');
    const secrets = [
      rndA(32),
      rndA(32),
      rndB(32),
      rndB(32),
      r.resultA.sessionKey,
      r.resultB.ratchetKeyPair?.publicKey as Uint8Array,
    ];
    for (const sec of secrets) expect(contains(wire, sec.subarray(0, 16))).toBe(false);
    // Eve's own ML-KEM key gets her nothing out of the ciphertexts either (implicit rejection).
    const eve = makeIdentity(seededRandom('eve/E-id'));
    const ct = r.revealB.subarray(1, 1089);
    expect(ml_kem768.decapsulate(ct, eve.kem.secretKey)).not.toEqual(ml_kem768.decapsulate(ct, r.A.kem.secretKey));
  });
});

describe('kx attacks', () => {
  const A = makeIdentity(seededRandom('atk/A-id'));
  const B = makeIdentity(seededRandom('atk/B-id'));
  const M = makeIdentity(seededRandom('atk/M-id'));
  const fresh = (label: string) => {
    const a = new Kx({ role: 'initiator', identity: A, peer: peerOf(B), random: seededRandom(`${label}/A`) });
    const b = new Kx({ role: 'responder', identity: B, peer: peerOf(A), random: seededRandom(`${label}/B`) });
    return { a, b, commitA: one(a.start()), commitB: one(b.start()) };
  };

  it("MITM substituting the responder's share and KEM ciphertext with its own is caught by the signature", () => {
    const { a, b, commitA, commitB } = fresh('mitm1');
    one(b.receive(commitA));
    one(a.receive(commitB));
    // Mallory knows every public value, so she can compute th0 and seal her own share to A.
    const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
    const forged = buildReveal(
      'responder',
      th0,
      { share: new Uint8Array(32).fill(7), nonce: new Uint8Array(32), ratchetKey: new Uint8Array(32).fill(9) },
      A.kem.publicKey,
      M.ed25519,
      seededRandom('mallory'),
    );
    const step = a.receive(forged);
    expectFailure(step, 'KX_BAD_SIGNATURE');
    expectFailure(a.receive(forged), 'KX_ABORTED');
  });

  it("MITM swapping only the KEM ciphertext (keeping B's signature) is caught", () => {
    const { a, b, commitA, commitB } = fresh('mitm2');
    const revealB = one(b.receive(commitA));
    one(a.receive(commitB));
    const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
    const mine = buildReveal(
      'responder',
      th0,
      { share: new Uint8Array(32), nonce: new Uint8Array(32), ratchetKey: new Uint8Array(32) },
      A.kem.publicKey,
      M.ed25519,
      seededRandom('m2'),
    );
    const spliced = revealB.slice();
    spliced.set(mine.subarray(1, 1 + 1088), 1);
    expectFailure(a.receive(spliced), 'KX_BAD_SIGNATURE');
  });

  it('MITM replacing a commitment in transit makes the other side reject the reveal', () => {
    const { a, b, commitA, commitB } = fresh('mitm3');
    const fakeCommitA = Uint8Array.of(1, ...new Uint8Array(32).fill(3));
    const revealB = one(b.receive(fakeCommitA)); // B signs a transcript with Mallory's commitment
    one(a.receive(commitB));
    expectFailure(a.receive(revealB), 'KX_BAD_SIGNATURE');
    void commitA;
  });

  it('a reveal replayed from an earlier session is rejected; one replayed within the session too', () => {
    const old = fresh('replay-old');
    const oldRevealB = one(old.b.receive(old.commitA));
    const s = fresh('replay-new');
    one(s.a.receive(s.commitB));
    expectFailure(s.a.receive(oldRevealB), 'KX_BAD_SIGNATURE');

    const t = fresh('replay-in');
    const revealB = one(t.b.receive(t.commitA));
    one(t.a.receive(t.commitB));
    one(t.a.receive(revealB));
    expectFailure(t.a.receive(revealB), 'KX_OUT_OF_ORDER');
  });

  it("key forcing: a responder that picks its share after learning the initiator's cannot open its commitment", () => {
    const { a, commitA, commitB } = fresh('force');
    const revealA = one(a.receive(commitB)); // A reveals only now that B is committed
    expect(revealA[0]).toBe(2);
    // Strongest attacker: it knows A's share outright (it replays A's seeded randomness) and
    // wants the XOR of the shares to be a value of its choice.
    const shareA = seededRandom('force/A')(32);
    const target = new Uint8Array(32).fill(0x42);
    const chosenShareB = shareA.map((x, i) => x ^ (target[i] as number));
    const rndB = seededRandom('force/B');
    rndB(32); // B's committed share, abandoned
    const nonceB = rndB(32);
    const ratchetKeyB = ed25519.utils.randomSecretKey();
    const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
    const cheat = buildReveal(
      'responder',
      th0,
      { share: chosenShareB, nonce: nonceB, ratchetKey: ratchetKeyB },
      A.kem.publicKey,
      B.ed25519,
      seededRandom('cheat'),
    );
    expectFailure(a.receive(cheat), 'KX_BAD_COMMITMENT_OPENING');
    // The honest opening of the same commitment, by contrast, is accepted.
    const b2 = fresh('force');
    one(b2.a.receive(b2.commitB));
    expect(b2.a.receive(one(b2.b.receive(b2.commitA))).ok).toBe(true);
  });

  it("property: a responder choosing its share after seeing the initiator's never gets the key it chose", () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.uint8Array({ minLength: 32, maxLength: 32 }), (run, target) => {
        const label = `force-prop/${run}`;
        const { a, commitA, commitB } = fresh(label);
        one(a.receive(commitB));
        // The attacker knows A's share outright and aims at share_A ⊕ share_B = target.
        const shareA = seededRandom(`${label}/A`)(32);
        const rndB = seededRandom(`${label}/B`);
        rndB(32); // the share B committed to, abandoned
        const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
        const chosen = shareA.map((x, i) => x ^ (target[i] as number));
        const cheat = buildReveal(
          'responder',
          th0,
          { share: chosen, nonce: rndB(32), ratchetKey: ed25519.utils.randomSecretKey() },
          A.kem.publicKey,
          B.ed25519,
          seededRandom(`${label}/cheat`),
        );
        const step = a.receive(cheat);
        expect(step.ok).toBe(false); // no key at all, let alone the chosen one
        expect(!step.ok && step.code).toBe('KX_BAD_COMMITMENT_OPENING');
      }),
      { numRuns: 20 },
    );
  });

  it('key forcing: an initiator cannot get B to reveal before B has its commitment', () => {
    const { a, b } = fresh('force2');
    // A tries to skip its commitment and go straight to a reveal.
    const th0 = commitTranscript(ctxOf(A, B), new Uint8Array(32), new Uint8Array(32));
    const early = buildReveal(
      'initiator',
      th0,
      { share: new Uint8Array(32), nonce: new Uint8Array(32) },
      B.kem.publicKey,
      A.ed25519,
      seededRandom('e'),
    );
    const step = b.receive(early);
    expectFailure(step, 'KX_OUT_OF_ORDER');
    void a;
  });

  it('a share sealed to the wrong ML-KEM key (but properly signed) is a bad KEM ciphertext', () => {
    const { a, commitA, commitB } = fresh('kem');
    one(a.receive(commitB));
    const rndB = seededRandom('kem/B');
    const opening = { share: rndB(32), nonce: rndB(32), ratchetKey: new Uint8Array(32) };
    const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
    const wrong = buildReveal('responder', th0, opening, M.kem.publicKey, B.ed25519, seededRandom('k'));
    expectFailure(a.receive(wrong), 'KX_BAD_KEM_CIPHERTEXT');
  });

  it('a tampered or reflected confirmation is rejected and yields no key', () => {
    const r1 = fresh('conf');
    const revA = one(r1.a.receive(r1.commitB));
    const revB = one(r1.b.receive(r1.commitA));
    const confA = one(r1.a.receive(revB));
    const confB = one(r1.b.receive(revA));
    const bad = confB.slice();
    bad[5] = (bad[5] as number) ^ 1;
    expectFailure(r1.a.receive(bad), 'KX_BAD_CONFIRMATION');
    expectFailure(r1.b.receive(confA.slice(0, 20)), 'KX_BAD_CONFIRMATION');

    const r2 = fresh('reflect');
    one(r2.a.receive(r2.commitB));
    const revB2 = one(r2.b.receive(r2.commitA));
    const confA2 = one(r2.a.receive(revB2));
    expectFailure(r2.a.receive(confA2), 'KX_BAD_CONFIRMATION'); // A's own MAC reflected back to it
  });

  it('a responder revealing a low-order ratchet key (after a valid commitment to it) is refused', () => {
    const rndB = seededRandom('lowratchet/B');
    const opening = { share: rndB(32), nonce: rndB(32), ratchetKey: new Uint8Array(32) }; // u = 0
    const a = new Kx({ role: 'initiator', identity: A, peer: peerOf(B), random: seededRandom('lowratchet/A') });
    const commitA = one(a.start());
    const commitB = Uint8Array.of(1, ...computeCommitment(ctxOf(A, B), 'responder', opening));
    one(a.receive(commitB));
    const th0 = commitTranscript(ctxOf(A, B), commitA.subarray(1), commitB.subarray(1));
    const step = a.receive(buildReveal('responder', th0, opening, A.kem.publicKey, B.ed25519, seededRandom('lr')));
    expectFailure(step, 'KX_BAD_PEER_KEY');
    if (!step.ok) expect(step.side).toBe('receiver');
  });

  it('a small-order peer identity key is refused before anything is sent', () => {
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the identity point
    const kx = new Kx({
      role: 'initiator',
      identity: A,
      peer: { ed25519PublicKey: smallOrder, kemPublicKey: B.kem.publicKey },
    });
    expectFailure(kx.start(), 'KX_BAD_PEER_KEY');
  });

  it('property: flipping any bit of any kx message makes its receiver fail without a key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.nat(), fc.nat(7), (which, byteSeed, bit) => {
        const label = `flip/${which}/${byteSeed}/${bit}`;
        const a = new Kx({ role: 'initiator', identity: A, peer: peerOf(B), random: seededRandom(`${label}/A`) });
        const b = new Kx({ role: 'responder', identity: B, peer: peerOf(A), random: seededRandom(`${label}/B`) });
        const flip = (i: number, m: Uint8Array) => {
          if (i !== which) return m;
          const c = m.slice();
          const at = byteSeed % c.length;
          c[at] = (c[at] as number) ^ (1 << bit);
          return c;
        };
        // Messages in order: 0 commitA, 1 commitB, 2 revealA, 3 revealB, 4 confirmA, 5 confirmB.
        const cA = flip(0, one(a.start())),
          cB = flip(1, one(b.start()));
        // Each side stops at its first failure; a side that has nothing to receive any more
        // (its peer failed earlier) keeps its last step.
        let gotA = a.receive(cB),
          gotB = b.receive(cA);
        const revA = gotA.ok ? gotA.send[0] : undefined,
          revB = gotB.ok ? gotB.send[0] : undefined;
        if (gotA.ok && revB) gotA = a.receive(flip(3, revB));
        if (gotB.ok && revA) gotB = b.receive(flip(2, revA));
        const confA = gotA.ok ? gotA.send[0] : undefined,
          confB = gotB.ok ? gotB.send[0] : undefined;
        if (gotA.ok && confB) gotA = a.receive(flip(5, confB));
        if (gotB.ok && confA) gotB = b.receive(flip(4, confA));
        const receiverOfFlip = which % 2 === 0 ? gotB : gotA; // even: A's message, received by B
        expect(receiverOfFlip.ok).toBe(false);
        expect(gotA.ok && gotB.ok && gotA.result !== undefined && gotB.result !== undefined).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

/** Shared fixtures for the kx and ratchet tests: deterministic randomness and identities. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Kx, generateKemKeyPair, type KxIdentity, type KxResult, type KxStep } from '../../src/core/kx';
import type { Random } from '../../src/core/ratchet';

/** A deterministic byte source: SHA-256(label ‖ counter) blocks. Tests and vectors only. */
export function seededRandom(label: string): Random {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(
        concatBytes(utf8ToBytes(label), Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)),
      );
      counter++;
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** An identity (Ed25519 in libsodium layout + ML-KEM-768) from `random`. */
export function makeIdentity(random: Random): KxIdentity {
  const seed = random(32);
  const pk = ed25519.getPublicKey(seed);
  return { ed25519: { publicKey: pk, secretKey: concatBytes(seed, pk) }, kem: generateKemKeyPair(random(64)) };
}

export const peerOf = (id: KxIdentity) => ({ ed25519PublicKey: id.ed25519.publicKey, kemPublicKey: id.kem.publicKey });

/** Unwraps a step, failing the test with the failure's message if it is not ok. */
export function ok(step: KxStep): { send: Uint8Array[]; result?: KxResult } {
  if (!step.ok) throw new Error(`unexpected failure ${step.code}: ${step.message}`);
  return step;
}

export const one = (step: KxStep): Uint8Array => {
  const s = ok(step).send;
  if (s.length !== 1) throw new Error(`expected one message, got ${s.length}`);
  return s[0] as Uint8Array;
};

/** Runs an honest kx between two fresh parties; returns everything for inspection. */
export function runKx(label = 'kx') {
  const A = makeIdentity(seededRandom(`${label}/A-id`));
  const B = makeIdentity(seededRandom(`${label}/B-id`));
  const a = new Kx({ role: 'initiator', identity: A, peer: peerOf(B), random: seededRandom(`${label}/A`) });
  const b = new Kx({ role: 'responder', identity: B, peer: peerOf(A), random: seededRandom(`${label}/B`) });
  const commitA = one(a.start());
  const commitB = one(b.start());
  const revealA = one(a.receive(commitB));
  const revealB = one(b.receive(commitA));
  const confirmA = one(a.receive(revealB));
  const confirmB = one(b.receive(revealA));
  const doneA = ok(a.receive(confirmB));
  const doneB = ok(b.receive(confirmA));
  return {
    A,
    B,
    a,
    b,
    commitA,
    commitB,
    revealA,
    revealB,
    confirmA,
    confirmB,
    resultA: doneA.result as KxResult,
    resultB: doneB.result as KxResult,
  };
}

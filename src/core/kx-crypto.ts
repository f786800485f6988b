/**
 * The cryptographic parts of the pairwise kx (kx.ts holds the state machine that orders them),
 * split as secret-handshake splits crypto.js from protocol.js: commitments, the sealed and
 * signed REVEAL, the transcript keys and the CONFIRM MAC, each a pure function of its inputs
 * (DESIGN.md, "pairwise session"; docs/security-kx.md).
 * @module
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { assertBytes } from './errors';
import type { Ed25519KeyPair } from './identity';
import type { Random } from './ratchet';

/** ML-KEM-768 encapsulation key length (FIPS 203, Table 3). */
export const KEM_PUBLIC_KEY_LENGTH = 1184;
/** ML-KEM-768 decapsulation key length (FIPS 203, Table 3). */
export const KEM_SECRET_KEY_LENGTH = 2400;
/** ML-KEM-768 ciphertext length (FIPS 203, Table 3). */
export const KEM_CIPHERTEXT_LENGTH = 1088;

/** Initiator: issued the invite or asked for the reset; responder: the other side (docs/security-kx.md). */
export type KxRole = 'initiator' | 'responder';
/** ML-KEM-768 key pair of an identity (DESIGN.md, identity layer). */
export interface KemKeyPair {
  publicKey: Uint8Array /*1184*/;
  secretKey: Uint8Array; /*2400*/
}
/** This side's long-term keys. */
export interface KxIdentity {
  ed25519: Ed25519KeyPair;
  kem: KemKeyPair;
}
/** The peer's long-term public keys, known from the invite before the kx starts. */
export interface KxPeer {
  ed25519PublicKey: Uint8Array;
  kemPublicKey: Uint8Array;
}

/** The first byte of each kx message (docs/security-kx.md, message formats). */
export const MSG = { commit: 0x01, reveal: 0x02, confirm: 0x03 } as const;
/** The role byte bound into every commitment, seal, signature and MAC. */
export const ROLE_BYTE: Record<KxRole, number> = { initiator: 0x49, responder: 0x52 };
/** Domain-separation tag `parley/kx/1/<s>`. */
export const tag = (s: string) => utf8ToBytes(`parley/kx/1/${s}`);
/** The peer's role. */
export const other = (r: KxRole): KxRole => (r === 'initiator' ? 'responder' : 'initiator');

/** A fresh ML-KEM-768 key pair for an identity (FIPS 203 ML-KEM.KeyGen); `seed` (64) for tests. */
export function generateKemKeyPair(seed?: Uint8Array): KemKeyPair {
  if (seed !== undefined) assertBytes('seed', seed, 64);
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  return { publicKey, secretKey };
}

/** The ML-KEM-768 public key embedded in a secret key (FIPS 203 §7.1 layout). */
export function kemPublicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertBytes('secretKey', secretKey, KEM_SECRET_KEY_LENGTH);
  return ml_kem768.getPublicKey(secretKey);
}

/** Everything a commitment and the transcript are bound to, in initiator/responder order. */
export interface KxContext {
  idI: Uint8Array;
  idR: Uint8Array;
  kemI: Uint8Array;
  kemR: Uint8Array;
}

/** What a reveal opens: the share, the commitment nonce and (responder only) the ratchet key. */
export interface KxOpening {
  share: Uint8Array;
  nonce: Uint8Array;
  ratchetKey?: Uint8Array;
}

/** The bytes a reveal seals and a commitment hashes: share ‖ nonce ‖ ratchet key?. */
export const openingBytes = (o: KxOpening) => concatBytes(o.share, o.nonce, o.ratchetKey ?? new Uint8Array(0));

/** c = SHA-256(tag ‖ role ‖ idI ‖ idR ‖ kemI ‖ kemR ‖ share ‖ nonce ‖ ratchetKey?) (step 1). */
export function computeCommitment(ctx: KxContext, role: KxRole, o: KxOpening): Uint8Array {
  return sha256(
    concatBytes(tag('commit'), Uint8Array.of(ROLE_BYTE[role]), ctx.idI, ctx.idR, ctx.kemI, ctx.kemR, openingBytes(o)),
  );
}

/** th0 = SHA-256(tag ‖ idI ‖ idR ‖ kemI ‖ kemR ‖ cI ‖ cR): what each reveal is signed and sealed under. */
export function commitTranscript(ctx: KxContext, cI: Uint8Array, cR: Uint8Array): Uint8Array {
  return sha256(concatBytes(tag('th0'), ctx.idI, ctx.idR, ctx.kemI, ctx.kemR, cI, cR));
}

/** The one-shot AEAD that seals a reveal's opening under HKDF(KEM secret, th0) (step 2). */
export function sealCipher(kemSecret: Uint8Array, th0: Uint8Array, role: KxRole, ct: Uint8Array) {
  const key = hkdf(sha256, kemSecret, th0, concatBytes(tag('seal'), Uint8Array.of(ROLE_BYTE[role])), 32);
  // The key is used exactly once, so a fixed nonce is safe.
  return xchacha20poly1305(key, new Uint8Array(24), concatBytes(th0, Uint8Array.of(ROLE_BYTE[role]), ct));
}

/** What a reveal's Ed25519 signature covers (step 2). */
export const signedPart = (role: KxRole, th0: Uint8Array, ct: Uint8Array, sealed: Uint8Array) =>
  concatBytes(tag('reveal'), Uint8Array.of(ROLE_BYTE[role]), th0, ct, sealed);

/**
 * Step 2: a REVEAL of `opening` by `role`, sealed to `peerKem` and signed with `signer`.
 * Exported for the attack tests, which use it to play a peer that cheats.
 */
export function buildReveal(
  role: KxRole,
  th0: Uint8Array,
  opening: KxOpening,
  peerKem: Uint8Array,
  signer: Ed25519KeyPair,
  random: Random,
): Uint8Array {
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(peerKem, random(32));
  const sealed = sealCipher(sharedSecret, th0, role, cipherText).encrypt(openingBytes(opening));
  const sig = ed25519.sign(signedPart(role, th0, cipherText, sealed), signer.secretKey.subarray(0, 32));
  return concatBytes(Uint8Array.of(MSG.reveal), cipherText, sealed, sig);
}

/** The exact length of a REVEAL sent by `role` (the responder's carries a ratchet key). */
export const revealLength = (role: KxRole) => 1 + KEM_CIPHERTEXT_LENGTH + (role === 'responder' ? 96 : 64) + 16 + 64;

/** False for an Ed25519 public key that does not decode or is of small order. */
export function isUsableEd25519Key(pk: Uint8Array): boolean {
  try {
    return !ed25519.Point.fromBytes(pk).isSmallOrder();
  } catch {
    return false;
  }
}

/** A low-order X25519 point gives the all-zero output for every (clamped) scalar; noble throws then. */
export function isUsableX25519Key(pk: Uint8Array): boolean {
  try {
    x25519.getSharedSecret(LOW_ORDER_PROBE, pk);
    return true;
  } catch {
    return false;
  }
}
const LOW_ORDER_PROBE = new Uint8Array(32).fill(0x42);

/** The keys a finished exchange of reveals gives one side (step 3). */
export interface KxKeys {
  sessionKey: Uint8Array;
  th: Uint8Array;
  confirmOwn: Uint8Array;
  confirmPeer: Uint8Array;
}

/**
 * TH = SHA-256(tag ‖ th0 ‖ revI ‖ revR); session key ‖ confirm keys = HKDF-SHA256(ikm =
 * share_I ⊕ share_R, salt = TH) (step 3). The XOR of the shares is wiped before returning.
 */
export function transcriptKeys(
  role: KxRole,
  th0: Uint8Array,
  reveals: { initiator: Uint8Array; responder: Uint8Array },
  ownShare: Uint8Array,
  peerShare: Uint8Array,
): KxKeys {
  const th = sha256(concatBytes(tag('transcript'), th0, reveals.initiator, reveals.responder));
  const ikm = peerShare.map((b, i) => b ^ (ownShare[i] as number));
  const okm = hkdf(sha256, ikm, th, tag('keys'), 96);
  ikm.fill(0);
  const [kI, kR] = [okm.slice(32, 64), okm.slice(64, 96)];
  return {
    sessionKey: okm.slice(0, 32),
    th,
    confirmOwn: role === 'initiator' ? kI : kR,
    confirmPeer: role === 'initiator' ? kR : kI,
  };
}

/** CONFIRM's MAC (step 3): HMAC-SHA256(confirm key of `role`, tag ‖ role ‖ TH). */
export function confirmationMac(key: Uint8Array, role: KxRole, th: Uint8Array): Uint8Array {
  return hmac(sha256, key, concatBytes(tag('confirm'), Uint8Array.of(ROLE_BYTE[role]), th));
}

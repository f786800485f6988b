/**
 * Pairwise session key agreement: seed 003 phase 3 ("exchange the parts of the symmetric key,
 * XOR them, confirm") made sound, as an I/O-free state machine (DESIGN.md, "pairwise session";
 * rationale in docs/security-kx.md).
 *
 * Both sides already hold each other's Ed25519 identity key and ML-KEM-768 public key. Then:
 * 1. COMMIT  `0x01 ‖ c`, c = SHA-256(tag ‖ role ‖ ids ‖ KEM keys ‖ share ‖ nonce ‖ ratchet key?)
 * 2. REVEAL  (only after the peer's COMMIT) `0x02 ‖ ct (1088) ‖ sealed ‖ sig (64)`: `ct` encapsulates
 *    to the peer's ML-KEM key; `sealed` = XChaCha20-Poly1305 under HKDF(KEM secret, th0) of
 *    `share ‖ nonce ‖ ratchet key?`; `sig` = Ed25519 over `tag ‖ role ‖ th0 ‖ ct ‖ sealed`,
 *    th0 = hash of ids, KEM keys and both commitments.
 * 3. CONFIRM `0x03 ‖ HMAC-SHA256(confirm key of the sender's role, tag ‖ role ‖ TH)`.
 * session key ‖ confirm keys = HKDF-SHA256(ikm = share_I ⊕ share_R, salt = TH), TH = hash of
 * th0 and both reveals. The key is handed out only with the peer's valid CONFIRM.
 * Only the responder's reveal carries a ratchet key: the initiator starts the Double Ratchet
 * with it (`ratchetFromKx`).
 * @module
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure } from './errors';
import {
  buildReveal,
  commitTranscript,
  computeCommitment,
  confirmationMac,
  isUsableEd25519Key,
  isUsableX25519Key,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  MSG,
  other,
  revealLength,
  sealCipher,
  signedPart,
  transcriptKeys,
  type KxContext,
  type KxIdentity,
  type KxKeys,
  type KxOpening,
  type KxPeer,
  type KxRole,
} from './kx-crypto';
import {
  generateRatchetKeyPair,
  initInitiator,
  initResponder,
  ratchetAd,
  type RatchetLimits,
  type RatchetState,
  type Random,
} from './ratchet';

export {
  buildReveal,
  commitTranscript,
  computeCommitment,
  confirmationMac,
  generateKemKeyPair,
  kemPublicKeyOf,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  type KemKeyPair,
  type KxContext,
  type KxIdentity,
  type KxOpening,
  type KxPeer,
  type KxRole,
} from './kx-crypto';

/** What a finished kx hands to the ratchet (and to storage). */
export interface KxResult {
  role: KxRole;
  /** The new pairwise session key SK (32). */
  sessionKey: Uint8Array;
  /** TH, the hash of the whole transcript (32); bound into the ratchet's AD. */
  transcriptHash: Uint8Array;
  /** Responder: the ratchet key pair whose public key it revealed. */
  ratchetKeyPair?: { secretKey: Uint8Array; publicKey: Uint8Array };
  /** Initiator: the responder's ratchet public key. */
  peerRatchetKey?: Uint8Array;
  initiatorIdentity: Uint8Array;
  responderIdentity: Uint8Array;
}

/** Failure codes of {@link Kx} (docs/security-kx.md lists which check gives which). */
export type KxErrorCode =
  | 'KX_MALFORMED'
  | 'KX_OUT_OF_ORDER'
  | 'KX_BAD_SIGNATURE'
  | 'KX_BAD_KEM_CIPHERTEXT'
  | 'KX_BAD_COMMITMENT_OPENING'
  | 'KX_BAD_CONFIRMATION'
  | 'KX_BAD_PEER_KEY'
  | 'KX_ABORTED';

/** A step of the state machine: messages to send now and, at the end, the result. */
export type KxStep = { ok: true; send: Uint8Array[]; result?: KxResult } | Failure<KxErrorCode>;

type Phase = 'new' | 'committed' | 'revealed' | 'confirming' | 'done' | 'failed';

/**
 * One side of the pairwise kx. Call {@link Kx.start} once, send what it returns, then feed
 * every message from the peer to {@link Kx.receive} in arrival order and send what comes back.
 * The session key is in the step that carries `result`; any failure is final.
 */
export class Kx {
  private phase: Phase = 'new';
  private readonly ctx: KxContext;
  private readonly role: KxRole;
  private readonly random: Random;
  private readonly own: KxOpening;
  private readonly ratchetKeyPair?: { secretKey: Uint8Array; publicKey: Uint8Array };
  private ownCommit: Uint8Array = new Uint8Array(0);
  private peerCommit: Uint8Array = new Uint8Array(0);
  private th0: Uint8Array = new Uint8Array(0);
  private ownReveal: Uint8Array = new Uint8Array(0);
  private peerReveal: Uint8Array = new Uint8Array(0);
  private peerOpening?: KxOpening;
  private keys?: KxKeys;

  constructor(private readonly opts: { role: KxRole; identity: KxIdentity; peer: KxPeer; random?: Random }) {
    const { role, identity, peer } = opts;
    if (role !== 'initiator' && role !== 'responder')
      throw new TypeError(`role: expected 'initiator' or 'responder', got ${String(role)}`);
    assertBytes('identity.ed25519.publicKey', identity.ed25519.publicKey, 32);
    assertBytes('identity.ed25519.secretKey', identity.ed25519.secretKey, 64);
    assertBytes('identity.kem.publicKey', identity.kem.publicKey, KEM_PUBLIC_KEY_LENGTH);
    assertBytes('identity.kem.secretKey', identity.kem.secretKey, KEM_SECRET_KEY_LENGTH);
    assertBytes('peer.ed25519PublicKey', peer.ed25519PublicKey, 32);
    assertBytes('peer.kemPublicKey', peer.kemPublicKey, KEM_PUBLIC_KEY_LENGTH);
    this.role = role;
    this.random = opts.random ?? randomBytes;
    const [idI, idR, kemI, kemR] =
      role === 'initiator'
        ? [identity.ed25519.publicKey, peer.ed25519PublicKey, identity.kem.publicKey, peer.kemPublicKey]
        : [peer.ed25519PublicKey, identity.ed25519.publicKey, peer.kemPublicKey, identity.kem.publicKey];
    this.ctx = { idI, idR, kemI, kemR };
    this.own = { share: this.random(32), nonce: this.random(32) };
    if (role === 'responder') {
      this.ratchetKeyPair = generateRatchetKeyPair(this.random);
      this.own.ratchetKey = this.ratchetKeyPair.publicKey;
    }
  }

  private fail(code: KxErrorCode, step: string, message: string): Failure<KxErrorCode> {
    this.phase = 'failed';
    this.own.share.fill(0);
    this.own.nonce.fill(0);
    // Nothing derived so far will ever be handed out: wipe it too (the ratchet secret included).
    this.ratchetKeyPair?.secretKey.fill(0);
    if (this.keys) for (const k of [this.keys.sessionKey, this.keys.confirmOwn, this.keys.confirmPeer]) k.fill(0);
    return failure(code, step === 'start' ? 'local' : 'receiver', step, `kx ${this.role}: ${message}`);
  }

  /** Step 1: returns this side's COMMIT. Throws if called twice. */
  start(): KxStep {
    if (this.phase !== 'new') throw new Error(`kx ${this.role}: start() called twice`);
    if (!isUsableEd25519Key(this.opts.peer.ed25519PublicKey))
      return this.fail(
        'KX_BAD_PEER_KEY',
        'start',
        "the peer's Ed25519 key is invalid or of small order; the invite is corrupt or forged.",
      );
    this.ownCommit = computeCommitment(this.ctx, this.role, this.own);
    this.phase = 'committed';
    return { ok: true, send: [concatBytes(Uint8Array.of(MSG.commit), this.ownCommit)] };
  }

  /** Feeds one message from the peer. Throws if {@link Kx.start} has not been called. */
  receive(msg: Uint8Array): KxStep {
    assertBytes('msg', msg);
    if (this.phase === 'new') throw new Error(`kx ${this.role}: receive() before start()`);
    if (this.phase === 'failed' || this.phase === 'done')
      return failure(
        'KX_ABORTED',
        'local',
        this.phase,
        `kx ${this.role}: message after the kx ${this.phase === 'done' ? 'finished' : 'failed'}; ignored.`,
      );
    const type = msg[0];
    const expected = { committed: MSG.commit, revealed: MSG.reveal, confirming: MSG.confirm }[this.phase];
    if (type !== MSG.commit && type !== MSG.reveal && type !== MSG.confirm)
      return this.fail('KX_MALFORMED', this.phase, `unknown message type ${type}.`);
    if (type !== expected)
      return this.fail(
        'KX_OUT_OF_ORDER',
        this.phase,
        `got message type ${type} while waiting for type ${expected}: a replayed, reordered or forged message.`,
      );
    if (this.phase === 'committed') return this.onCommit(msg);
    if (this.phase === 'revealed') return this.onReveal(msg);
    return this.onConfirm(msg);
  }

  private onCommit(msg: Uint8Array): KxStep {
    if (msg.length !== 33) return this.fail('KX_MALFORMED', 'commit', `COMMIT of ${msg.length} bytes, expected 33.`);
    const peerCommit = msg.slice(1);
    this.peerCommit = peerCommit;
    const [cI, cR] = this.role === 'initiator' ? [this.ownCommit, peerCommit] : [peerCommit, this.ownCommit];
    this.th0 = commitTranscript(this.ctx, cI, cR);
    const peerKem = this.role === 'initiator' ? this.ctx.kemR : this.ctx.kemI;
    try {
      this.ownReveal = buildReveal(this.role, this.th0, this.own, peerKem, this.opts.identity.ed25519, this.random);
    } catch {
      return this.fail(
        'KX_BAD_PEER_KEY',
        'commit',
        "the peer's ML-KEM public key is invalid; the invite is corrupt or forged.",
      );
    }
    this.phase = 'revealed';
    return { ok: true, send: [this.ownReveal] };
  }

  private onReveal(msg: Uint8Array): KxStep {
    const opening = this.openReveal(msg);
    if (!('share' in opening)) return opening;
    this.peerOpening = opening;
    this.peerReveal = msg.slice();
    const [revI, revR] =
      this.role === 'initiator' ? [this.ownReveal, this.peerReveal] : [this.peerReveal, this.ownReveal];
    this.keys = transcriptKeys(
      this.role,
      this.th0,
      { initiator: revI, responder: revR },
      this.own.share,
      opening.share,
    );
    this.phase = 'confirming';
    return {
      ok: true,
      send: [concatBytes(Uint8Array.of(MSG.confirm), confirmationMac(this.keys.confirmOwn, this.role, this.keys.th))],
    };
  }

  /**
   * The peer's opening from its REVEAL, once the signature, the KEM seal, the commitment and
   * the responder's ratchet key all check out; else the Failure that ends the kx.
   */
  private openReveal(msg: Uint8Array): KxOpening | Failure<KxErrorCode> {
    const peerRole = other(this.role);
    if (msg.length !== revealLength(peerRole))
      return this.fail('KX_MALFORMED', 'reveal', `REVEAL of ${msg.length} bytes, expected ${revealLength(peerRole)}.`);
    const ct = msg.subarray(1, 1 + KEM_CIPHERTEXT_LENGTH);
    const sealed = msg.subarray(1 + KEM_CIPHERTEXT_LENGTH, msg.length - 64);
    const sig = msg.subarray(msg.length - 64);
    if (
      !ed25519.verify(sig, signedPart(peerRole, this.th0, ct, sealed), this.opts.peer.ed25519PublicKey, {
        zip215: false,
      })
    ) {
      return this.fail(
        'KX_BAD_SIGNATURE',
        'reveal',
        "the peer's REVEAL is not signed by its identity key for this session: a man in the middle, or a reveal replayed from another session.",
      );
    }
    let plain: Uint8Array;
    try {
      plain = sealCipher(ml_kem768.decapsulate(ct, this.opts.identity.kem.secretKey), this.th0, peerRole, ct).decrypt(
        sealed,
      );
    } catch {
      return this.fail(
        'KX_BAD_KEM_CIPHERTEXT',
        'reveal',
        "the peer's share was not sealed to our ML-KEM key: the peer holds a wrong or stale copy of our key.",
      );
    }
    const opening: KxOpening = { share: plain.slice(0, 32), nonce: plain.slice(32, 64) };
    if (peerRole === 'responder') opening.ratchetKey = plain.slice(64, 96);
    if (!equalBytes(computeCommitment(this.ctx, peerRole, opening), this.peerCommit)) {
      return this.fail(
        'KX_BAD_COMMITMENT_OPENING',
        'reveal',
        "the peer's share does not match the commitment it sent first: it tried to choose its share after seeing ours.",
      );
    }
    if (opening.ratchetKey && !isUsableX25519Key(opening.ratchetKey)) {
      return this.fail(
        'KX_BAD_PEER_KEY',
        'reveal',
        "the responder's ratchet key is a low-order X25519 point: a broken or malicious peer.",
      );
    }
    return opening;
  }

  private onConfirm(msg: Uint8Array): KxStep {
    const keys = this.keys as NonNullable<Kx['keys']>;
    const peerRole = other(this.role);
    if (msg.length !== 33 || !equalBytes(msg.subarray(1), confirmationMac(keys.confirmPeer, peerRole, keys.th))) {
      return this.fail(
        'KX_BAD_CONFIRMATION',
        'confirm',
        "the peer's confirmation does not match our transcript: the two sides saw different messages (tampering) or derived different keys.",
      );
    }
    this.phase = 'done';
    this.own.share.fill(0);
    this.own.nonce.fill(0);
    const result: KxResult = {
      role: this.role,
      sessionKey: keys.sessionKey,
      transcriptHash: keys.th,
      initiatorIdentity: this.ctx.idI,
      responderIdentity: this.ctx.idR,
    };
    if (this.role === 'responder') result.ratchetKeyPair = this.ratchetKeyPair;
    else result.peerRatchetKey = this.peerOpening?.ratchetKey;
    return { ok: true, send: [], result };
  }
}

/** Starts the Double Ratchet from a finished kx (RatchetInitAliceHE / RatchetInitBobHE, ratchet.ts). */
export async function ratchetFromKx(
  result: KxResult,
  opts: { limits?: RatchetLimits; random?: Random } = {},
): Promise<RatchetState> {
  const ad = ratchetAd(result.initiatorIdentity, result.responderIdentity, result.transcriptHash);
  if (result.role === 'initiator') {
    if (!result.peerRatchetKey) throw new Error('ratchetFromKx: initiator result lacks peerRatchetKey');
    return initInitiator({ sessionKey: result.sessionKey, remoteRatchetKey: result.peerRatchetKey, ad, ...opts });
  }
  if (!result.ratchetKeyPair) throw new Error('ratchetFromKx: responder result lacks ratchetKeyPair');
  return initResponder({
    sessionKey: result.sessionKey,
    ratchetKeyPair: result.ratchetKeyPair,
    ad,
    limits: opts.limits,
  });
}

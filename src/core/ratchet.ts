/**
 * Signal Double Ratchet with header encryption, as a set of pure functions over immutable
 * states (Signal Double Ratchet specification rev. 1, section 4 "Double Ratchet with header
 * encryption"; KDFs of section 5.2 in `ratchet-kdf.ts`, headers in `ratchet-header.ts`, the
 * state and its JSON form in `ratchet-state.ts`).
 *
 * Choices where the spec leaves them open (see docs/security-ratchet.md):
 * - DH = X25519 (`x25519.ts`: WebCrypto when present, so {@link decrypt} and
 *   {@link initInitiator} are async); AEAD = XChaCha20-Poly1305 for both headers (random 24-byte nonce) and
 *   messages (key and nonce from HKDF of the one-time message key).
 * - AD = `"parley/ratchet/1" ‖ initiator Ed25519 key ‖ responder Ed25519 key ‖ kx transcript
 *   hash`, and every message's body AD also covers its version byte and encrypted header.
 * - {@link decrypt} is transactional: it returns a new state and leaves the old one as it was;
 *   on any failure there is no new state at all.
 *
 * Wire format of a message: `0x01 ‖ encrypted header (80) ‖ XChaCha20-Poly1305(body) (len + 16)`.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure } from './errors';
import { initialKeys, kdfCk, kdfRk, messageKeyMaterial } from './ratchet-kdf';
import {
  ENC_HEADER_LENGTH,
  NONCE_LENGTH,
  TAG_LENGTH,
  decryptHeader,
  encryptHeader,
  type Header,
} from './ratchet-header';
import { DEFAULT_LIMITS, type RatchetLimits, type RatchetState, type SkippedKey } from './ratchet-state';
import { x25519PublicKey, x25519Shared } from './x25519';

export { DEFAULT_LIMITS, parseState, serializeState } from './ratchet-state';
export type { RatchetLimits, RatchetState, RatchetStateJson, SkippedKey } from './ratchet-state';

/** Wire-format version byte of ratchet messages. */
export const MESSAGE_VERSION = 0x01;
/** Bytes a message adds to its plaintext. */
export const MESSAGE_OVERHEAD = 1 + ENC_HEADER_LENGTH + TAG_LENGTH;

/** Source of randomness: returns `n` fresh random bytes. Tests pass a seeded one. */
export type Random = (n: number) => Uint8Array;

/** Failure codes of {@link decrypt}. */
export type RatchetErrorCode =
  | 'RATCHET_MALFORMED' // too short, or unknown version byte
  | 'RATCHET_BAD_HEADER' // header authenticates under no key we hold: tampered, foreign, or an old replay
  | 'RATCHET_REPLAY' // a message whose key was already used (or expired)
  | 'RATCHET_TOO_MANY_SKIPPED' // would skip more than MAX_SKIP keys
  | 'RATCHET_BAD_RATCHET_KEY' // the peer's new X25519 key is invalid (small order)
  | 'RATCHET_BAD_CIPHERTEXT'; // header fine, body does not authenticate: tampered

/** Result of {@link decrypt}. */
export type DecryptResult = { ok: true; plaintext: Uint8Array; newState: RatchetState } | Failure<RatchetErrorCode>;

/** An X25519 key pair for the DH ratchet (GENERATE_DH of spec section 3.1). */
export function generateRatchetKeyPair(random: Random = randomBytes): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const secretKey = random(32);
  assertBytes('random(32)', secretKey, 32);
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

/**
 * The associated data both sides bind into the ratchet (spec section 3.3, AD): both long-term
 * Ed25519 identities in initiator/responder order and the kx transcript hash, so a message
 * cannot be moved to another pair of people or another session.
 */
export function ratchetAd(
  initiatorIdentity: Uint8Array,
  responderIdentity: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  assertBytes('initiatorIdentity', initiatorIdentity, 32);
  assertBytes('responderIdentity', responderIdentity, 32);
  assertBytes('transcriptHash', transcriptHash, 32);
  return concatBytes(utf8ToBytes('parley/ratchet/1'), initiatorIdentity, responderIdentity, transcriptHash);
}

/**
 * RatchetInitAliceHE (spec section 4) for the kx initiator, who knows the responder's ratchet
 * public key from the kx. SK, shared_hka and shared_nhkb come from `initialKeys(sessionKey)`.
 */
export async function initInitiator(opts: {
  sessionKey: Uint8Array;
  remoteRatchetKey: Uint8Array;
  ad: Uint8Array;
  limits?: RatchetLimits;
  random?: Random;
}): Promise<RatchetState> {
  assertBytes('remoteRatchetKey', opts.remoteRatchetKey, 32);
  assertBytes('ad', opts.ad);
  const { rk: sk, hka, nhkb } = initialKeys(opts.sessionKey);
  const dhs = generateRatchetKeyPair(opts.random);
  const dh = await x25519Shared(dhs.secretKey, opts.remoteRatchetKey);
  if (dh === null)
    throw new RangeError('remoteRatchetKey: not a usable X25519 public key (low order); the kx result is corrupt');
  const r = kdfRk(sk, dh);
  return {
    version: 1,
    ad: opts.ad.slice(),
    dhsSecret: dhs.secretKey,
    dhsPublic: dhs.publicKey,
    dhr: opts.remoteRatchetKey.slice(),
    rk: r.rk,
    cks: r.ck,
    ckr: null,
    hks: hka,
    hkr: null,
    nhks: r.nhk,
    nhkr: nhkb,
    ns: 0,
    nr: 0,
    pn: 0,
    step: 0,
    skipped: [],
    limits: checkLimits(opts.limits ?? DEFAULT_LIMITS),
  };
}

/**
 * RatchetInitBobHE (spec section 4) for the kx responder, with the ratchet key pair whose
 * public half it sent in the kx. It cannot send before the initiator's first message arrives
 * ({@link canSend}); the app has the initiator send first.
 */
export function initResponder(opts: {
  sessionKey: Uint8Array;
  ratchetKeyPair: { secretKey: Uint8Array; publicKey: Uint8Array };
  ad: Uint8Array;
  limits?: RatchetLimits;
}): RatchetState {
  assertBytes('ratchetKeyPair.secretKey', opts.ratchetKeyPair.secretKey, 32);
  assertBytes('ratchetKeyPair.publicKey', opts.ratchetKeyPair.publicKey, 32);
  assertBytes('ad', opts.ad);
  const { rk: sk, hka, nhkb } = initialKeys(opts.sessionKey);
  return {
    version: 1,
    ad: opts.ad.slice(),
    dhsSecret: opts.ratchetKeyPair.secretKey.slice(),
    dhsPublic: opts.ratchetKeyPair.publicKey.slice(),
    dhr: null,
    rk: sk,
    cks: null,
    ckr: null,
    hks: null,
    hkr: null,
    nhks: nhkb,
    nhkr: hka,
    ns: 0,
    nr: 0,
    pn: 0,
    step: 0,
    skipped: [],
    limits: checkLimits(opts.limits ?? DEFAULT_LIMITS),
  };
}

function checkLimits(l: RatchetLimits): RatchetLimits {
  for (const [k, v] of Object.entries(l))
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`limits.${k}: expected a non-negative integer, got ${v}`);
  return { ...l };
}

/** Whether this side has a sending chain yet (the responder has none until the first message). */
export function canSend(state: RatchetState): boolean {
  return state.cks !== null && state.hks !== null;
}

/**
 * RatchetEncryptHE (spec section 4): encrypts `plaintext` and returns the message and the next
 * state (the input state is not changed; persist the new one before sending the message).
 * Throws if {@link canSend} is false.
 */
export function encrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  random: Random = randomBytes,
): { state: RatchetState; message: Uint8Array } {
  assertBytes('plaintext', plaintext);
  if (state.cks === null || state.hks === null)
    throw new Error(
      "ratchet encrypt (sender): no sending chain yet — the responder must receive the initiator's first message before it can send",
    );
  if (state.ns >= 0xffffffff)
    throw new RangeError('ratchet encrypt (sender): message counter exhausted; reset the ratchet');
  const { ck, mk } = kdfCk(state.cks);
  const header: Header = { dh: state.dhsPublic, pn: state.pn, n: state.ns };
  const head = concatBytes(
    Uint8Array.of(MESSAGE_VERSION),
    encryptHeader(state.hks, header, headerAd(state), random(NONCE_LENGTH)),
  );
  const body = sealBody(mk, state.ad, head, plaintext);
  return { state: { ...state, cks: ck, ns: state.ns + 1 }, message: concatBytes(head, body) };
}

function headerAd(state: RatchetState): Uint8Array {
  return concatBytes(state.ad, Uint8Array.of(MESSAGE_VERSION));
}

function bodyCipher(mk: Uint8Array, ad: Uint8Array, head: Uint8Array) {
  const km = messageKeyMaterial(mk);
  return xchacha20poly1305(km.subarray(0, 32), km.subarray(32, 56), concatBytes(ad, head));
}

function sealBody(mk: Uint8Array, ad: Uint8Array, head: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return bodyCipher(mk, ad, head).encrypt(plaintext);
}

function openBody(mk: Uint8Array, ad: Uint8Array, head: Uint8Array, body: Uint8Array): Uint8Array | null {
  try {
    return bodyCipher(mk, ad, head).decrypt(body);
  } catch {
    return null;
  }
}

/** Drops skipped keys that are too old by ratchet steps or by time, then the oldest beyond the cap. */
export function expireSkipped(state: RatchetState, now: number): RatchetState {
  const l = state.limits;
  let kept = state.skipped.filter((k) => state.step - k.step <= l.maxSkippedSteps && now - k.at <= l.maxSkippedAgeMs);
  if (kept.length > l.maxSkippedKeys) kept = kept.slice(kept.length - l.maxSkippedKeys);
  return kept.length === state.skipped.length ? state : { ...state, skipped: kept };
}

type Fail = Failure<RatchetErrorCode>;
const fail = (code: RatchetErrorCode, message: string): Fail => failure(code, 'receiver', 'ratchet decrypt', message);

/** A mutable working copy used inside one decrypt; discarded on failure. */
type Work = { -readonly [K in keyof RatchetState]: RatchetState[K] } & { skipped: SkippedKey[] };

/** SkipMessageKeysHE (spec section 4), bounded by MAX_SKIP. */
function skipMessageKeys(w: Work, until: number, now: number): Fail | null {
  if (w.nr + w.limits.maxSkip < until) {
    return fail(
      'RATCHET_TOO_MANY_SKIPPED',
      `The message says ${until - w.nr} earlier messages are missing, more than the limit ${w.limits.maxSkip}: a flooding or broken peer; the message is dropped.`,
    );
  }
  if (w.ckr !== null && w.hkr !== null) {
    while (w.nr < until) {
      const { ck, mk } = kdfCk(w.ckr);
      w.skipped.push({ hk: w.hkr, n: w.nr, mk, step: w.step, at: now });
      w.ckr = ck;
      w.nr += 1;
    }
  }
  return null;
}

/** DHRatchetHE (spec section 4). */
async function dhRatchet(w: Work, header: Header, random: Random): Promise<Fail | null> {
  const next = generateRatchetKeyPair(random);
  const [dh1, dh2] = await Promise.all([x25519Shared(w.dhsSecret, header.dh), x25519Shared(next.secretKey, header.dh)]);
  if (dh1 === null || dh2 === null) {
    return fail(
      'RATCHET_BAD_RATCHET_KEY',
      "The peer's new ratchet key is not a valid X25519 key (small order): a broken or malicious peer.",
    );
  }
  w.pn = w.ns;
  w.ns = 0;
  w.nr = 0;
  w.hks = w.nhks;
  w.hkr = w.nhkr;
  w.dhr = header.dh;
  const r1 = kdfRk(w.rk, dh1);
  w.ckr = r1.ck;
  w.nhkr = r1.nhk;
  w.dhsSecret = next.secretKey;
  w.dhsPublic = next.publicKey;
  const r2 = kdfRk(r1.rk, dh2);
  w.rk = r2.rk;
  w.cks = r2.ck;
  w.nhks = r2.nhk;
  w.step += 1;
  return null;
}

/**
 * RatchetDecryptHE (spec section 4), transactionally: on success returns the plaintext and the
 * next state; on failure returns a {@link Failure} and no state, so the caller's state stays
 * as it was (replays, tampering and floods cost nothing). `now` (ms) dates skipped keys and
 * expires old ones; `random` is only used if the message starts a new DH ratchet step.
 * Async only because X25519 may run in WebCrypto; do not start a second decrypt on the same
 * state before this one settles (the storage layer serializes them per contact).
 */
export async function decrypt(
  state: RatchetState,
  message: Uint8Array,
  now: number,
  random: Random = randomBytes,
): Promise<DecryptResult> {
  assertBytes('message', message);
  if (!Number.isSafeInteger(now)) throw new TypeError(`now: expected an integer timestamp in ms, got ${now}`);
  if (message.length < MESSAGE_OVERHEAD)
    return fail(
      'RATCHET_MALFORMED',
      `Message of ${message.length} bytes is shorter than the ${MESSAGE_OVERHEAD}-byte minimum: truncated in transit.`,
    );
  if (message[0] !== MESSAGE_VERSION)
    return fail(
      'RATCHET_MALFORMED',
      `Unknown message version ${message[0]}: the peer runs a newer Parley, or the message is corrupt.`,
    );
  const head = message.subarray(0, 1 + ENC_HEADER_LENGTH);
  const encHeader = head.subarray(1);
  const body = message.subarray(1 + ENC_HEADER_LENGTH);
  const m: Parts = { head, encHeader, body, hAd: headerAd(state) };
  const current = expireSkipped(state, now);
  return trySkippedMessageKeys(current, m) ?? (await decryptOnChain(current, m, now, random));
}

/** A received message cut into its parts, with the header AD of the state it is decrypted under. */
interface Parts {
  head: Uint8Array;
  encHeader: Uint8Array;
  body: Uint8Array;
  hAd: Uint8Array;
}

/**
 * TrySkippedMessageKeysHE (spec section 4), trying each distinct header key once instead of
 * once per entry: the result for a late message whose key was kept, else null.
 */
function trySkippedMessageKeys(current: RatchetState, { head, encHeader, body, hAd }: Parts): DecryptResult | null {
  const tried: Uint8Array[] = [];
  for (const k of current.skipped) {
    if (tried.some((t) => equalBytes(t, k.hk))) continue;
    tried.push(k.hk);
    const h = decryptHeader(k.hk, encHeader, hAd);
    if (h === null) continue;
    const i = current.skipped.findIndex((e) => e.n === h.n && equalBytes(e.hk, k.hk));
    if (i < 0) {
      if (current.hkr !== null && equalBytes(k.hk, current.hkr)) return null; // current chain: decryptOnChain
      return fail(
        'RATCHET_REPLAY',
        `Message ${h.n} of an earlier chain was already read or its key expired: a replay or a very late duplicate.`,
      );
    }
    const entry = current.skipped[i] as SkippedKey;
    const plaintext = openBody(entry.mk, current.ad, head, body);
    if (plaintext === null)
      return fail(
        'RATCHET_BAD_CIPHERTEXT',
        `Message ${h.n} (a late one) has a valid header but its body does not authenticate: tampered in transit.`,
      );
    return { ok: true, plaintext, newState: { ...current, skipped: current.skipped.filter((_, j) => j !== i) } };
  }
  return null;
}

/** The rest of RatchetDecryptHE: the current receiving chain, or the next one after a DH ratchet step. */
async function decryptOnChain(
  current: RatchetState,
  { head, encHeader, body, hAd }: Parts,
  now: number,
  random: Random,
): Promise<DecryptResult> {
  const w: Work = { ...current, skipped: [...current.skipped] };
  let header = decryptHeader(w.hkr, encHeader, hAd);
  if (header !== null) {
    if (header.n < w.nr)
      return fail(
        'RATCHET_REPLAY',
        `Message ${header.n} was already read or its skipped key expired (next expected is ${w.nr}): a replay, a duplicate, or a message too late to read.`,
      );
  } else {
    header = decryptHeader(w.nhkr, encHeader, hAd);
    if (header === null)
      return fail(
        'RATCHET_BAD_HEADER',
        'The message header does not decrypt under any of our header keys: tampered, from another session, or an old message whose keys are gone.',
      );
    const e = skipMessageKeys(w, header.pn, now) ?? (await dhRatchet(w, header, random));
    if (e) return e;
  }
  const e = skipMessageKeys(w, header.n, now);
  if (e) return e;
  const { ck, mk } = kdfCk(w.ckr as Uint8Array);
  w.ckr = ck;
  w.nr += 1;
  const plaintext = openBody(mk, w.ad, head, body);
  if (plaintext === null)
    return fail(
      'RATCHET_BAD_CIPHERTEXT',
      `Message ${header.n} has a valid header but its body does not authenticate: tampered in transit.`,
    );
  return { ok: true, plaintext, newState: expireSkipped(w, now) };
}

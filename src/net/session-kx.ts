/**
 * Session setup over a verified SecureLink (docs/session.md §2): each side says which session
 * it holds (`session-offer`: the id, or none, and its ML-KEM-768 public key); if both hold the
 * same one they keep it, otherwise they run the pairwise kx (`src/core/kx.ts`, `kx` wire
 * messages; the SHS client is the initiator), start a Double Ratchet from it and hand it to
 * `install`, which must replace the stored session atomically. A kx that fails or times out
 * closes the link and returns a typed failure.
 *
 * Both sides decide from the same two offers, so they always agree on "keep" versus "kx".
 * @module
 */
import { failure, type Failure } from '../core/errors';
import { Kx, ratchetFromKx, type KxIdentity, type KxRole } from '../core/kx';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { RatchetState, Random } from '../core/ratchet';
import type { WireMessage } from '../core/wire';
import type { SecureLink } from './secure-link';
import { sessionIdOf, sessionRoomKey } from './session-derive';

/** How long the whole setup (offers + kx) may take before the link is closed. */
export const SESSION_SETUP_TIMEOUT_MS = 20_000;

/** A session born from a kx, for `install` to store (replacing any old one in one transaction). */
export interface NewSession {
  id: string;
  role: KxRole;
  state: RatchetState;
  /** Key of the session's daily rooms (`session-derive.ts` sessionRoomKey). */
  roomKey: Uint8Array;
  /** The peer's ML-KEM key as it offered it on this link (authenticated by SHS). */
  peerKemPublicKey: Uint8Array;
}

export type SessionSetupErrorCode =
  'SESSION_TIMEOUT' | 'SESSION_KX_FAILED' | 'SESSION_LINK_CLOSED' | 'SESSION_PROTOCOL';
export type SessionSetupResult = { ok: true; sessionId: string; fresh: boolean } | Failure<SessionSetupErrorCode>;

export interface SessionSetupOptions {
  link: SecureLink;
  /** 'initiator' on the side that was the SHS client of this link. */
  role: KxRole;
  identity: KxIdentity;
  /** The session this side holds, or null (may still be loading: messages wait for it). */
  held: string | null | Promise<string | null>;
  /** Run the kx even if both hold the same session (a reset, docs/session.md §4). */
  force?: boolean;
  install(s: NewSession): Promise<void>;
  timeoutMs?: number;
  random?: Random;
  /** Messages that arrived before the caller could start the setup (pairing's listener), handled first. */
  early?: WireMessage[];
}

/** Runs the setup on `link` (docs/session.md §2). Call right after the link opens, before awaiting anything. */
export function setUpSession(o: SessionSetupOptions): Promise<SessionSetupResult> {
  return new SessionSetup(o).run();
}

/** One setup: our offer, the contact's offer, then (unless both hold the same session) the kx. */
class SessionSetup {
  readonly #o: SessionSetupOptions;
  /** The session we offered to keep (null: none, or a forced kx). */
  #offered: string | null = null;
  #kx: Kx | null = null;
  /** The contact's ML-KEM key from its offer; set once. */
  #peerKem: Uint8Array | null = null;
  #settled = false;
  readonly #offs: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Messages are handled one at a time, in order, after our offer went out. */
  #chain: Promise<unknown> = Promise.resolve();
  #resolve: (r: SessionSetupResult) => void = () => {};

  constructor(o: SessionSetupOptions) {
    this.#o = o;
  }

  run(): Promise<SessionSetupResult> {
    const { link } = this.#o;
    return new Promise<SessionSetupResult>((resolve) => {
      this.#resolve = resolve;
      const timeoutMs = this.#o.timeoutMs ?? SESSION_SETUP_TIMEOUT_MS;
      this.#timer = setTimeout(
        () =>
          this.#fail(
            'SESSION_TIMEOUT',
            'timeout',
            `the session setup did not finish within ${timeoutMs} ms: the contact's side stalled or the connection is too slow; it is tried again on the next connection`,
          ),
        timeoutMs,
      );
      // The kx result is stored before anything later is looked at.
      this.#chain = Promise.resolve(this.#o.held).then((held) => this.#sendOffer(held));
      for (const m of this.#o.early ?? []) this.#handle(m);
      this.#offs.push(link.onMessage((m) => this.#handle(m)));
      this.#offs.push(
        link.onClose(() =>
          this.#fail(
            'SESSION_LINK_CLOSED',
            'link',
            'the connection closed during the session setup; it is tried again on the next one',
          ),
        ),
      );
    });
  }

  #sendOffer(held: string | null): void {
    const { link, identity, force } = this.#o;
    this.#offered = force ? null : held;
    const offer: WireMessage =
      this.#offered === null
        ? { type: 'session-offer', kemPublicKey: identity.kem.publicKey }
        : { type: 'session-offer', session: this.#offered, kemPublicKey: identity.kem.publicKey };
    link
      .send(offer)
      .catch(() =>
        this.#fail('SESSION_LINK_CLOSED', 'offer', 'the connection closed before our session offer went out'),
      );
  }

  #handle(m: WireMessage): void {
    this.#chain = this.#chain
      .then(() => this.#onMessage(m))
      .catch((e: unknown) =>
        this.#fail(
          this.#o.link.closed ? 'SESSION_LINK_CLOSED' : 'SESSION_PROTOCOL',
          'internal',
          `the session setup stopped: ${String(e)}`,
        ),
      );
  }

  async #onMessage(m: WireMessage): Promise<void> {
    if (this.#settled) return;
    if (m.type === 'session-offer') await this.#onOffer(m);
    else if (m.type === 'kx') await this.#onKx(m);
  }

  /** The contact's offer: the same session as ours is kept; otherwise the kx starts. */
  async #onOffer(m: Extract<WireMessage, { type: 'session-offer' }>): Promise<void> {
    if (this.#peerKem)
      return this.#fail(
        'SESSION_PROTOCOL',
        'offer',
        'the contact offered a session twice on one connection: a broken or hostile peer',
      );
    this.#peerKem = m.kemPublicKey;
    if (this.#offered !== null && m.session === this.#offered)
      return this.#finish({ ok: true, sessionId: this.#offered, fresh: false });
    const { role, identity, random, link } = this.#o;
    this.#kx = new Kx({
      role,
      identity,
      peer: { ed25519PublicKey: link.remotePublicKey, kemPublicKey: m.kemPublicKey },
      random,
    });
    const s = this.#kx.start();
    if (!s.ok) return this.#fail('SESSION_KX_FAILED', s.step, s.message);
    await this.#sendAll(s.send);
  }

  /** A kx message; the last one yields the session, which is installed before the setup ends. */
  async #onKx(m: Extract<WireMessage, { type: 'kx' }>): Promise<void> {
    const kx = this.#kx;
    const peerKem = this.#peerKem;
    if (!kx || !peerKem)
      return this.#fail(
        'SESSION_PROTOCOL',
        'kx',
        "a key-exchange message arrived before the contact's session offer, or when no key exchange was due: a broken or hostile peer",
      );
    const step = kx.receive(m.data);
    if (!step.ok) return this.#fail('SESSION_KX_FAILED', step.step, `${step.code}: ${step.message}`);
    await this.#sendAll(step.send);
    if (!step.result) return;
    const r = step.result;
    const { role, random, install } = this.#o;
    const id = sessionIdOf(r.transcriptHash);
    const state = await ratchetFromKx(r, { random });
    await install({ id, role, state, roomKey: sessionRoomKey(r), peerKemPublicKey: peerKem });
    r.sessionKey.fill(0);
    this.#finish({ ok: true, sessionId: id, fresh: true });
  }

  async #sendAll(msgs: Uint8Array[]): Promise<void> {
    for (const data of msgs) await this.#o.link.send({ type: 'kx', data });
  }

  #fail(code: SessionSetupErrorCode, step: string, message: string): void {
    this.#finish(failure(code, 'local', `session: ${step}`, message));
  }

  #finish(r: SessionSetupResult): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    for (const off of this.#offs) off();
    if (!r.ok && r.code !== 'SESSION_LINK_CLOSED') void this.#o.link.close().catch(() => {});
    this.#resolve(r);
  }
}

/**
 * Runs the kx's primitives once on throwaway input (ML-KEM encapsulation and decapsulation to our
 * own key, an Ed25519 signature and its check), so their one-time set-up cost (JIT, precomputed
 * tables: a few hundred ms in a fresh page) is paid while the first link is still being
 * negotiated on the network, not after it. Call it soon after start-up, off the critical path.
 */
export function warmUpKx(identity: KxIdentity): void {
  const { cipherText } = ml_kem768.encapsulate(identity.kem.publicKey);
  ml_kem768.decapsulate(cipherText, identity.kem.secretKey);
  const msg = new Uint8Array(32);
  ed25519.verify(ed25519.sign(msg, identity.ed25519.secretKey.subarray(0, 32)), msg, identity.ed25519.publicKey, {
    zip215: false,
  });
}

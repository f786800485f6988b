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
  const { link, role } = o;
  let offered: string | null = null;
  return new Promise<SessionSetupResult>((resolve) => {
    let kx: Kx | null = null;
    let peerKem: Uint8Array | null = null;
    let settled = false;
    const offs: (() => void)[] = [];
    const finish = (r: SessionSetupResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const off of offs) off();
      if (!r.ok && r.code !== 'SESSION_LINK_CLOSED') void link.close().catch(() => {});
      resolve(r);
    };
    const fail = (code: SessionSetupErrorCode, step: string, message: string) =>
      finish(failure(code, 'local', `session: ${step}`, message));
    const timer = setTimeout(
      () =>
        fail(
          'SESSION_TIMEOUT',
          'timeout',
          `the session setup did not finish within ${o.timeoutMs ?? SESSION_SETUP_TIMEOUT_MS} ms: the contact's side stalled or the connection is too slow; it is tried again on the next connection`,
        ),
      o.timeoutMs ?? SESSION_SETUP_TIMEOUT_MS,
    );
    const sendAll = async (msgs: Uint8Array[]) => {
      for (const data of msgs) await link.send({ type: 'kx', data });
    };
    // Messages are handled one at a time, in order, after our offer went out: the kx result is
    // stored before anything later is looked at.
    let chain: Promise<unknown> = Promise.resolve(o.held).then((held) => {
      offered = o.force ? null : held;
      const offer: WireMessage =
        offered === null
          ? { type: 'session-offer', kemPublicKey: o.identity.kem.publicKey }
          : { type: 'session-offer', session: offered, kemPublicKey: o.identity.kem.publicKey };
      link
        .send(offer)
        .catch(() => fail('SESSION_LINK_CLOSED', 'offer', 'the connection closed before our session offer went out'));
    });
    const onMessage = async (m: WireMessage) => {
      if (settled) return;
      if (m.type === 'session-offer') {
        if (peerKem)
          return fail(
            'SESSION_PROTOCOL',
            'offer',
            'the contact offered a session twice on one connection: a broken or hostile peer',
          );
        peerKem = m.kemPublicKey;
        if (offered !== null && m.session === offered) return finish({ ok: true, sessionId: offered, fresh: false });
        kx = new Kx({
          role,
          identity: o.identity,
          peer: { ed25519PublicKey: link.remotePublicKey, kemPublicKey: m.kemPublicKey },
          random: o.random,
        });
        const s = kx.start();
        if (!s.ok) return fail('SESSION_KX_FAILED', s.step, s.message);
        await sendAll(s.send);
        return;
      }
      if (m.type !== 'kx') return;
      if (!kx)
        return fail(
          'SESSION_PROTOCOL',
          'kx',
          "a key-exchange message arrived before the contact's session offer, or when no key exchange was due: a broken or hostile peer",
        );
      const step = kx.receive(m.data);
      if (!step.ok) return fail('SESSION_KX_FAILED', step.step, `${step.code}: ${step.message}`);
      await sendAll(step.send);
      if (!step.result) return;
      const r = step.result;
      const id = sessionIdOf(r.transcriptHash);
      const state = await ratchetFromKx(r, { random: o.random });
      await o.install({ id, role, state, roomKey: sessionRoomKey(r), peerKemPublicKey: peerKem! });
      r.sessionKey.fill(0);
      finish({ ok: true, sessionId: id, fresh: true });
    };
    const handle = (m: WireMessage) => {
      chain = chain
        .then(() => onMessage(m))
        .catch((e: unknown) =>
          fail(
            link.closed ? 'SESSION_LINK_CLOSED' : 'SESSION_PROTOCOL',
            'internal',
            `the session setup stopped: ${String(e)}`,
          ),
        );
    };
    for (const m of o.early ?? []) handle(m);
    offs.push(link.onMessage(handle));
    offs.push(
      link.onClose(() =>
        fail(
          'SESSION_LINK_CLOSED',
          'link',
          'the connection closed during the session setup; it is tried again on the next one',
        ),
      ),
    );
  });
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

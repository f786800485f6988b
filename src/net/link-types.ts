/**
 * The words of a link attempt that every part of it shares: the options of `openLink`, its
 * failure codes and its result (docs/net.md). Apart from link.ts, so that the parts the attempt
 * is made of (link-attempt.ts, link-handshake.ts) need not import the module that runs them.
 * @module
 */
import type { Failure } from '../core/errors';
import type { Ed25519KeyPair } from '../core/shs';
import type { Announcement } from '../core/features';
import type { SecureLink } from './secure-link';
import type { SignalingClient } from './signaling';

export type LinkErrorCode =
  | 'LINK_TIMEOUT'
  | 'LINK_HANDSHAKE_FAILED'
  | 'LINK_WEBRTC_FAILED'
  | 'LINK_CLOSED'
  | 'LINK_ABORTED'
  | 'LINK_SIGNALING_CLOSED';

export interface LinkOptions {
  signaling: SignalingClient;
  /** room = roomId(secret); every signal (SDP, ICE) is sealed with it. */
  rendezvousSecret: Uint8Array;
  identity: Ed25519KeyPair;
  shs:
    | { role: 'client'; serverPublicKey: Uint8Array }
    | { role: 'server'; authorize: (clientKey: Uint8Array) => boolean | Promise<boolean> };
  iceServers: RTCIceServer[];
  /** `relay`: use TURN relay candidates only (relay-only mode, docs/net.md "ICE configuration"); default `all`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Whole attempt; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** node tests: node-datachannel's polyfill. */
  wrtc?: unknown;
  /**
   * What this side announces at the start of the link (docs/protocol.md "Compatibility"):
   * default `CURRENT` (src/core/features.ts); null announces nothing, as version 1 did.
   */
  features?: Announcement | null;
}

/**
 * Why `openLink` failed. On `LINK_CLOSED`, `peerCode` is the code the other side's `bye` gave
 * for giving up, when it is one of {@link LinkErrorCode} (anything else is left out).
 */
export type LinkFailure = Failure<LinkErrorCode> & { readonly peerCode?: LinkErrorCode };

export type LinkResult = { ok: true; link: SecureLink } | LinkFailure;

const LINK_ERROR_CODES: readonly LinkErrorCode[] = [
  'LINK_TIMEOUT',
  'LINK_HANDSHAKE_FAILED',
  'LINK_WEBRTC_FAILED',
  'LINK_CLOSED',
  'LINK_ABORTED',
  'LINK_SIGNALING_CLOSED',
];

/** `code` if it is a {@link LinkErrorCode} (a peer's word is checked before it is kept). */
export function asLinkErrorCode(code: unknown): LinkErrorCode | undefined {
  return LINK_ERROR_CODES.find((c) => c === code);
}

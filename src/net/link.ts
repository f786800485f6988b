/**
 * `openLink`: meet a peer at a rendezvous, open a WebRTC data channel, verify it with the
 * secret handshake (DTLS fingerprints bound into the network key), then confirm keys both ways
 * through secure frames. The sequence and its failure codes are in docs/net.md.
 *
 * One `LinkAttempt` per call (link-attempt.ts) walks the phases: rendezvous (sealed hellos in
 * the room), webrtc (offer/answer and candidates, restarted on a transient failure), then
 * handshake and confirmation on the open channel (`LinkHandshake`, link-handshake.ts).
 * @module
 */
import { LinkAttempt } from './link-attempt';
import type { LinkFailure, LinkOptions, LinkResult } from './link-types';

export type { SecureLink, LinkCloseEvent, LinkFeatures } from './secure-link';

export { asLinkErrorCode, type LinkErrorCode, type LinkFailure, type LinkOptions, type LinkResult } from './link-types';

/**
 * Whether a failed link means the two sides met at the rendezvous but could not open a WebRTC
 * connection (no route between them: a firewall, NAT, a TURN server that refused us): the data
 * channel failed on every try, the attempt timed out while ICE was still trying (or after a
 * failed try), or the other side gave up for that reason — its WebRTC failed, or its time ran
 * out while the two were negotiating.
 */
export function isNoRouteFailure(f: LinkFailure): boolean {
  if (f.code === 'LINK_WEBRTC_FAILED') return true;
  if (f.code === 'LINK_TIMEOUT') return f.step === 'webrtc';
  if (f.code !== 'LINK_CLOSED') return false;
  return f.peerCode === 'LINK_WEBRTC_FAILED' || (f.peerCode === 'LINK_TIMEOUT' && f.step === 'webrtc');
}

/**
 * Opens a verified link to the peer at `rendezvousSecret`. Every exit path unsubscribes from
 * the room and, unless a link is returned, destroys the data channel.
 */
export async function openLink(o: LinkOptions): Promise<LinkResult> {
  checkOptions(o);
  return new LinkAttempt(o).run();
}

function checkOptions(o: LinkOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('openLink: options required');
  if (!o.signaling || typeof o.signaling.subscribe !== 'function')
    throw new TypeError('openLink: opts.signaling must be a SignalingClient');
  if (!(o.rendezvousSecret instanceof Uint8Array) || o.rendezvousSecret.length !== 32)
    throw new TypeError('openLink: opts.rendezvousSecret must be 32 bytes');
  if (!o.identity || !(o.identity.publicKey instanceof Uint8Array) || o.identity.publicKey.length !== 32)
    throw new TypeError('openLink: opts.identity must be an Ed25519 key pair');
  if (!Array.isArray(o.iceServers))
    throw new TypeError('openLink: opts.iceServers must be an array (pass [] for none)');
  if (o.shs?.role === 'client') {
    if (!(o.shs.serverPublicKey instanceof Uint8Array) || o.shs.serverPublicKey.length !== 32)
      throw new TypeError('openLink: opts.shs.serverPublicKey must be 32 bytes');
  } else if (o.shs?.role !== 'server' || typeof o.shs.authorize !== 'function') {
    throw new TypeError(
      "openLink: opts.shs must be { role: 'client', serverPublicKey } or { role: 'server', authorize }",
    );
  }
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw new TypeError('openLink: opts.timeoutMs must be positive');
}

/**
 * What each `openLink` failure tells the person (docs/net.md, "Failure codes"): the phase it
 * happened in, the likely cause, and what to do.
 * @module
 */
import type { LinkPhase } from './link-handshake';

/** LINK_SIGNALING_CLOSED: the SignalingClient was closed before the data channel opened. */
export const SIGNALING_CLOSED_MESSAGE =
  'the signaling connection to the relay is closed (SignalingClient.close() was called), so the other side cannot be reached — open a new SignalingClient and try again';

/** LINK_TIMEOUT, by the phase the attempt had reached. */
export const TIMEOUT_MESSAGES: Record<LinkPhase, string> = {
  rendezvous:
    'the other side never showed up at the rendezvous: they may be offline or have not opened the link yet — try again when they are online',
  webrtc:
    'the other side was found but no direct connection could be opened: a firewall or NAT may block it — try another network, or configure a TURN server',
  handshake: 'the connection opened but the other side did not finish the handshake in time — try again',
  confirmation: 'the handshake succeeded but the other side did not confirm its keys in time — try again',
};

/** LINK_HANDSHAKE_FAILED; `shsCode` is the SHS failure's code, when SHS failed. */
export function handshakeFailedMessage(why: string, shsCode?: string): string {
  return shsCode === 'SHS_UNAUTHORIZED' || shsCode === 'SHS_AUTHORIZE_ERROR'
    ? `we refused this peer: its key was not authorized (${why})`
    : `this connection could not be verified — someone may be interfering (${why})`;
}

/** LINK_WEBRTC_FAILED: the data channel closed before it opened, on the last try. */
export function webrtcFailedMessage(err: Error | undefined): string {
  const why = err?.message ? ` (${err.message})` : '';
  return `the direct connection failed before it opened${why} — a firewall may block it; try again or use another network`;
}

/** LINK_CLOSED: the other side's bye carried `code` (anything: it is the peer's word). */
export function peerGaveUpMessage(code: unknown): string {
  return `the other side gave up (${typeof code === 'string' ? code : 'no reason given'}) — try again`;
}

/**
 * What `DataPeer` (peer.ts) watches on its `RTCPeerConnection` besides simple-peer's own events
 * (docs/net.md "Data peer"): the local candidates gathered and the ICE server errors reported,
 * so that a connection that cannot work — gathering finished without a single candidate, as
 * under relay-only when the TURN server refuses the credentials or is unreachable — fails at
 * once with the reason, instead of at the link's 30-s timeout.
 * @module
 */

/** At most this many ICE server errors are kept per connection (each names a server URL). */
export const MAX_ICE_ERRORS = 4;

/** One `icecandidateerror`: which STUN/TURN server, and what it answered (401: credentials refused; 701: no answer). */
export interface IceServerError {
  url: string;
  code: number;
  text: string;
}

/** The part of an `RTCPeerConnection` the watcher needs (Chromium's, or node-datachannel's polyfill). */
type WatchedConnection = Pick<RTCPeerConnection, 'addEventListener' | 'removeEventListener' | 'iceGatheringState'> & {
  readonly localDescription: { sdp?: string } | null;
};

/** The reason a connection with no local candidate cannot work, naming what the ICE servers said. */
export function noCandidatesMessage(policy: RTCIceTransportPolicy, errors: readonly IceServerError[]): string {
  const said = errors.map((e) => `${e.url} answered ${e.code}${e.text ? ` ${e.text}` : ''}`).join('; ');
  const base =
    policy === 'relay'
      ? 'relay-only is on and no TURN server gave this browser a relay address'
      : 'this browser found no network address to connect from';
  return `${base}${said ? ` (${said})` : ''}; the connection cannot be made`;
}

/**
 * Watches `pc` until the returned function is called: `errors` collects ICE server errors;
 * `onNoCandidates` is called once gathering completed without any local candidate.
 */
export function watchIce(
  pc: WatchedConnection,
  onNoCandidates: () => void,
): { errors: IceServerError[]; stop: () => void } {
  const errors: IceServerError[] = [];
  let candidates = 0;
  const onCandidate = (e: Event) => {
    if ((e as RTCPeerConnectionIceEvent).candidate?.candidate) candidates++;
  };
  const onError = (e: Event) => {
    const x = e as RTCPeerConnectionIceErrorEvent;
    const err = {
      url: String(x.url ?? '').slice(0, 200),
      code: Number(x.errorCode) || 0,
      text: String(x.errorText ?? '').slice(0, 100),
    };
    if (errors.length < MAX_ICE_ERRORS && !errors.some((o) => o.url === err.url && o.code === err.code))
      errors.push(err);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onGathering = () => {
    if (pc.iceGatheringState !== 'complete') return;
    // Candidate events may be dispatched after the state change (node-datachannel): look a tick later.
    timer = setTimeout(() => {
      if (candidates === 0 && !/^a=candidate:/m.test(pc.localDescription?.sdp ?? '')) onNoCandidates();
    }, 0);
  };
  pc.addEventListener('icecandidate', onCandidate);
  pc.addEventListener('icecandidateerror', onError);
  pc.addEventListener('icegatheringstatechange', onGathering);
  return {
    errors,
    stop: () => {
      clearTimeout(timer);
      pc.removeEventListener('icecandidate', onCandidate);
      pc.removeEventListener('icecandidateerror', onError);
      pc.removeEventListener('icegatheringstatechange', onGathering);
    },
  };
}

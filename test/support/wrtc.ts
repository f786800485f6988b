/**
 * node-datachannel's WebRTC polyfill, adapted for simple-peer on loopback only:
 * - binds ICE to 127.0.0.1 (tests never send traffic anywhere else),
 * - returns plain `{type, sdp}` objects from createOffer/createAnswer (simple-peer assigns to
 *   `offer.sdp`, which the polyfill's RTCSessionDescription does not allow),
 * - ignores a trickled candidate that libdatachannel refuses with "Got a remote candidate
 *   without ICE transport" only when the connection is already closed (see
 *   {@link isLibdatachannelIceRace}: the connection has failed already, and simple-peer would
 *   otherwise report this follow-on error instead of the real one). On a live connection the
 *   error is passed on.
 */
import * as poly from 'node-datachannel/polyfill';

/** Every SDP created here (offers and answers), for tests that look for leaks. */
export const createdSdps: string[] = [];

class LoopbackPeerConnection extends poly.RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super({ ...config, iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration);
  }
  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    const o = await super.createOffer();
    createdSdps.push(o.sdp);
    return { type: o.type, sdp: o.sdp };
  }
  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    try {
      await super.addIceCandidate(candidate);
    } catch (err) {
      if (!(this.connectionState === 'closed' && /without ICE transport/.test(String((err as Error)?.message))))
        throw err;
    }
  }
  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const a = await super.createAnswer();
    createdSdps.push(a.sdp);
    return { type: a.type, sdp: a.sdp };
  }
}

export const nodeWrtc = {
  RTCPeerConnection: LoopbackPeerConnection,
  RTCSessionDescription: poly.RTCSessionDescription,
  RTCIceCandidate: poly.RTCIceCandidate,
};

/**
 * True only for the one known libdatachannel failure (node-datachannel 0.33): the offerer's
 * native `setRemoteDescription(answer)` throws "Got a remote candidate without ICE transport"
 * while it adds the candidates embedded in the answer SDP, because the native peer connection
 * is already closed (signaling state `stable`, connection state `closed` right after). Our code
 * is not in that path: the candidates are the ones inside the SDP, which libdatachannel applies
 * itself. Measured here: 2 of 16 fresh node processes on their first connection, 0 of 60 later
 * connections in one process; each time the answerer's ICE had connected and its DTLS hello had
 * reached the offerer before the offerer got the answer. simple-peer reports it as
 * `ERR_SET_REMOTE_DESCRIPTION`. Tests that retry a raw connection retry exactly this and
 * nothing else, so a real failure still fails the test.
 */
export function isLibdatachannelIceRace(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  return (
    e?.code === 'ERR_SET_REMOTE_DESCRIPTION' &&
    typeof e.message === 'string' &&
    /Got a remote candidate without ICE transport/.test(e.message)
  );
}

/**
 * A wrtc whose first `failures` peer connections fail to apply the remote description, as a
 * transient WebRTC failure would; later ones work.
 */
export function flakyWrtc(failures: number) {
  let left = failures;
  class FlakyPeerConnection extends LoopbackPeerConnection {
    readonly #fail = left-- > 0;
    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      if (this.#fail) throw new Error('test: this connection attempt fails');
      return super.setRemoteDescription(d);
    }
  }
  return { ...nodeWrtc, RTCPeerConnection: FlakyPeerConnection };
}

/**
 * One throwaway loopback connection, result ignored. The first connection in a fresh process
 * fails now and then inside libdatachannel ("remote candidate without ICE transport" while
 * applying the answer; about 1 in 8 on these machines, measured with fresh processes); later
 * ones practically never do. Tests that check a single raw DataPeer connection call this first,
 * so that they test our code rather than that start-up race. (openLink retries by itself.)
 */
export async function warmUpWebRtc(): Promise<void> {
  const { default: Peer } = await import('simple-peer/simplepeer.min.js');
  const a = new Peer({ initiator: true, trickle: true, config: { iceServers: [] }, wrtc: nodeWrtc as never });
  const b = new Peer({ trickle: true, config: { iceServers: [] }, wrtc: nodeWrtc as never });
  a.on('signal', (s) =>
    setTimeout(() => {
      if (!b.destroyed) b.signal(s);
    }, 2),
  );
  b.on('signal', (s) =>
    setTimeout(() => {
      if (!a.destroyed) a.signal(s);
    }, 2),
  );
  a.on('error', () => {});
  b.on('error', () => {});
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 5000);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    b.on('connect', done);
    a.on('close', done);
    b.on('close', done);
  });
  a.destroy();
  b.destroy();
}

/** A wrtc whose connections never get anywhere: the remote description is never applied. */
export const stuckWrtc = {
  ...nodeWrtc,
  RTCPeerConnection: class extends LoopbackPeerConnection {
    override setRemoteDescription(): Promise<void> {
      return new Promise(() => {});
    }
  },
};

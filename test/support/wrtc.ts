/**
 * node-datachannel's WebRTC polyfill, adapted for simple-peer on loopback only:
 * - binds ICE to 127.0.0.1 (tests never send traffic anywhere else),
 * - returns plain `{type, sdp}` objects from createOffer/createAnswer (simple-peer assigns to
 *   `offer.sdp`, which the polyfill's RTCSessionDescription does not allow),
 * - ignores a trickled candidate that libdatachannel refuses with "Got a remote candidate
 *   without ICE transport": it happens now and then on loopback although the same candidates
 *   are already in the SDP libdatachannel sends (it gathers before it answers), and simple-peer
 *   would otherwise destroy the connection for it. A connection that really has no ICE
 *   transport still fails, by ICE state.
 */
import * as poly from 'node-datachannel/polyfill';

class LoopbackPeerConnection extends poly.RTCPeerConnection {
  constructor(config?: RTCConfiguration) {
    super({ ...config, iceServers: [], bindAddress: '127.0.0.1' } as RTCConfiguration);
  }
  override async createOffer(): Promise<RTCSessionDescriptionInit> {
    const o = await super.createOffer();
    return { type: o.type, sdp: o.sdp };
  }
  override async addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    try {
      await super.addIceCandidate(candidate);
    } catch (err) {
      if (!/without ICE transport/.test(String((err as Error)?.message))) throw err;
    }
  }
  override async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const a = await super.createAnswer();
    return { type: a.type, sdp: a.sdp };
  }
}

export const nodeWrtc = {
  RTCPeerConnection: LoopbackPeerConnection,
  RTCSessionDescription: poly.RTCSessionDescription,
  RTCIceCandidate: poly.RTCIceCandidate,
};

import { describe, expect, it } from 'vitest';
import type { PeerConnection } from 'node-datachannel';
import { wireSignals } from './ndc-link';

/** A stand-in for libdatachannel's peer connection: refuses a candidate before its description, as the native one does. */
function fakePeer() {
  const cb: { desc?: (sdp: string, type: string) => void; cand?: (c: string, mid: string) => void } = {};
  const got: string[] = [];
  let described = false;
  const pc = {
    onLocalDescription: (f: typeof cb.desc) => {
      cb.desc = f;
    },
    onLocalCandidate: (f: typeof cb.cand) => {
      cb.cand = f;
    },
    setRemoteDescription: (sdp: string) => {
      described = true;
      got.push(`desc ${sdp}`);
    },
    addRemoteCandidate: (c: string) => {
      if (!described) throw new Error('Got a remote candidate without remote description');
      got.push(`cand ${c}`);
    },
  };
  return { pc: pc as unknown as PeerConnection, cb, got };
}

describe('ndcPair signal wiring', () => {
  it('holds a candidate that arrives before its description (a throw there aborts the process)', () => {
    const from = fakePeer(),
      to = fakePeer();
    wireSignals(from.pc, to.pc);
    expect(() => from.cb.cand!('c1 1 udp 1 127.0.0.1 5000 typ host', '0')).not.toThrow();
    from.cb.desc!('offer-sdp', 'offer');
    from.cb.cand!('c2 1 udp 1 127.0.0.1 5001 typ host', '0');
    from.cb.cand!('c3 1 udp 1 10.0.0.1 5002 typ host', '0');
    expect(to.got).toEqual([
      'desc offer-sdp',
      'cand c1 1 udp 1 127.0.0.1 5000 typ host',
      'cand c2 1 udp 1 127.0.0.1 5001 typ host',
    ]);
  });
});

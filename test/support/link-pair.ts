/**
 * Both ends of one real link in a fresh room, for node tests and benchmarks: `server` listens and
 * authorizes only `client`'s key; `client` dials with the server's key (src/net/link.ts). ICE is
 * loopback only (node-datachannel through `nodeWrtc`, which waits for the remote description
 * before adding candidates).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Identity } from '../../src/core/identity';
import { openLink, type LinkResult } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { nodeWrtc } from './wrtc';

/** One side of a link: its relay socket, identity and key (hex). */
export interface LinkEnd {
  sig: SignalingClient;
  id: Identity;
  key: string;
}

/** Opens a link between `server` and `client`; resolves with both sides' results [server, client]. */
export function openLinkPair(server: LinkEnd, client: LinkEnd, timeoutMs = 15_000): Promise<[LinkResult, LinkResult]> {
  const rendezvousSecret = crypto.getRandomValues(new Uint8Array(32));
  const common = { rendezvousSecret, iceServers: [], wrtc: nodeWrtc, timeoutMs };
  return Promise.all([
    openLink({
      ...common,
      signaling: server.sig,
      identity: server.id,
      shs: { role: 'server', authorize: (k) => bytesToHex(k) === client.key },
    }),
    openLink({
      ...common,
      signaling: client.sig,
      identity: client.id,
      shs: { role: 'client', serverPublicKey: server.id.publicKey },
    }),
  ]);
}

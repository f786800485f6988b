/**
 * peerjs-server (npm `peer`), the signaling server PeerJS apps use, as a baseline for
 * bench/relay.bench.ts: started on 127.0.0.1 with a free port and defaults except the connection
 * limit (raised for the memory measurement). Prints `listening <port>` once ready.
 */
import type { AddressInfo } from 'node:net';
import { PeerServer } from 'peer';

PeerServer({ host: '127.0.0.1', port: 0, path: '/', concurrent_limit: 1_000_000, alive_timeout: 600_000 }, (server) => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));

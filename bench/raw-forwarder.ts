/**
 * Baseline for bench/relay.bench.ts: the least a WebSocket relay can do. Sockets are paired in
 * connection order (1st with 2nd, 3rd with 4th, …) and every text frame is sent to the partner
 * as is: no JSON, no rooms, no limits. Prints `listening <port>` once ready.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, clientTracking: false });
let waiting: WebSocket | null = null;
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  if (!waiting) {
    waiting = ws;
    return;
  }
  const a = waiting;
  const b = ws;
  waiting = null;
  a.on('message', (data, isBinary) => b.send(data as Buffer, { binary: isBinary }));
  b.on('message', (data, isBinary) => a.send(data as Buffer, { binary: isBinary }));
});
wss.on('listening', () => process.stdout.write(`listening ${(wss.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));

/**
 * TEMPORARY stand-in for `createRelay` from server/relay.ts (the relay branch has not landed
 * yet): the relay protocol of docs/interfaces.md, in memory, no limits. To be replaced by the
 * real relay as soon as it is merged into main.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface TestRelay {
  url: string;            // ws://127.0.0.1:PORT/signal
  server: Server;
  /** Drops every client connection (as a relay restart would), keeping the listener. */
  dropAll(): void;
  close(): Promise<void>;
}

/** Like server/relay.ts's `onForward`: return a replacement for `data`, null to drop, nothing to pass. */
export type ForwardHook = (room: string, data: string, fromSocketId: string) => string | null | undefined | void;

export async function startTestRelay(opts: { onForward?: ForwardHook } = {}): Promise<TestRelay> {
  const server = createServer((_req, res) => { res.writeHead(404).end(); });
  const wss = new WebSocketServer({ server, path: '/signal' });
  const rooms = new Map<string, Set<WebSocket>>();
  const send = (ws: WebSocket, m: object) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m)); };
  let nextId = 0;
  wss.on('connection', (ws) => {
    const id = String(nextId++);
    const mine = new Set<string>();
    const leave = (room: string) => {
      const set = rooms.get(room);
      if (!set || !set.delete(ws)) return;
      mine.delete(room);
      for (const o of set) send(o, { type: 'peer-left', room });
      if (set.size === 0) rooms.delete(room);
    };
    ws.on('message', (raw) => {
      let m: { type?: string; room?: string; data?: string };
      try { m = JSON.parse(String(raw)); } catch { ws.close(4400, 'malformed'); return; }
      const room = m.room ?? '';
      if (m.type === 'ping') send(ws, { type: 'pong' });
      else if (m.type === 'subscribe') {
        let set = rooms.get(room);
        if (!set) rooms.set(room, (set = new Set()));
        if (!set.has(ws)) for (const o of set) send(o, { type: 'peer-joined', room });
        set.add(ws);
        mine.add(room);
        send(ws, { type: 'subscribed', room, peers: set.size - 1 });
      } else if (m.type === 'unsubscribe') leave(room);
      else if (m.type === 'publish') {
        if (!mine.has(room)) { send(ws, { type: 'error', code: 'not-subscribed', message: 'subscribe first' }); return; }
        const replaced = opts.onForward?.(room, String(m.data), id);
        if (replaced === null) return;
        const data = typeof replaced === 'string' ? replaced : m.data;
        for (const o of rooms.get(room) ?? []) if (o !== ws) send(o, { type: 'message', room, data });
      }
    });
    ws.on('close', () => { for (const r of [...mine]) leave(r); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/signal`,
    server,
    dropAll: () => { for (const c of wss.clients) c.terminate(); },
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

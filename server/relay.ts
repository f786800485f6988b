/**
 * The signaling relay (docs/interfaces.md, "Signaling relay protocol"; docs/relay.md): one HTTP
 * server that serves the app and upgrades `/signal` to a WebSocket. The relay forwards opaque
 * base64url blobs to the other sockets of a room and nothing else. Every socket is bounded —
 * frame size, message rate, rooms, send buffer, idle time — so no input from one socket can
 * crash the process or stall another socket.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, WebSocket, type RawData, type ServerOptions } from 'ws';
import { DEFAULT_CONFIG, type RelayConfig } from './config';
import { TokenBucket } from './limits';
import { createLogger, roomTag, type Logger } from './log';
import { CloseCode, encode, parseClientMessage, type ClientMessage } from './protocol';
import { Rooms } from './rooms';
import { createHttpHandler } from './static';

/**
 * Called for every accepted publish before it is forwarded. Return a string to forward that
 * instead of `data`, `null` to drop the message, or nothing to forward `data` unchanged. Tests use
 * it to record what the relay sees and to play a hostile relay. It is not validated or limited:
 * what it returns is forwarded as is.
 */
export type ForwardHook = (room: string, data: string, fromSocketId: string) => string | null | undefined | void;

/**
 * Called when a socket joins a room (not for a repeated subscribe to a room it is in). Tests use
 * it to record which socket was in which room — what a curious relay operator could keep.
 */
export type SubscribeHook = (room: string, socketId: string) => void;

export interface RelayOptions extends Partial<RelayConfig> {
  onForward?: ForwardHook;
  onSubscribe?: SubscribeHook;
  /** Defaults to JSON lines on stdout at `logLevel`. */
  logger?: Logger;
}

export interface Relay {
  server: Server;
  /** Listens (defaults: the configured port and host) and resolves with the bound port and URL. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /** Closes every socket with 1001, stops listening, and resolves once the server is closed. */
  close(): Promise<void>;
  /** Open relay sockets right now. */
  readonly connections: number;
}

/** ws closes a socket itself on some receive errors; map those to the contract's codes. */
class RelaySocket extends WebSocket {
  override close(code?: number, reason?: string | Buffer): void {
    if (code === 1009)
      code = CloseCode.TOO_LARGE; // frame over maxPayload
    else if (code === 1007) code = CloseCode.MALFORMED; // invalid UTF-8 in a text frame
    super.close(code, reason);
  }
}

interface Client {
  id: string;
  ws: WebSocket;
  bucket: TokenBucket;
  lastSeen: number;
  /** Set once the relay has decided to close it: nothing more is read from or sent to it. */
  gone: boolean;
}

/** How long a socket being closed may take to answer the close frame before it is destroyed. */
const CLOSE_TIMEOUT_MS = 5000;

export function createRelay(options: RelayOptions = {}): Relay {
  const { onForward, onSubscribe, logger, ...rest } = options;
  const cfg: RelayConfig = { ...DEFAULT_CONFIG, ...rest };
  const log = logger ?? createLogger(cfg.logLevel);
  const rooms = new Rooms<Client>(cfg.maxPeersPerRoom, cfg.maxRoomsPerSocket);
  const clients = new Set<Client>();
  let nextId = 0;
  let shuttingDown = false;

  const stats = (): unknown => {
    (globalThis as { gc?: () => void }).gc?.();
    return { connections: clients.size, rooms: rooms.roomCount, memory: process.memoryUsage() };
  };
  const server = createServer(
    createHttpHandler({
      staticDir: cfg.staticDir,
      iceServers: cfg.iceServers,
      stats: cfg.stats ? stats : undefined,
      log,
    }),
  );
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Node destroys TCP connections beyond this at accept time; the margin keeps
  // room for the 1013 answer to sockets over MAX_CONNECTIONS and for /healthz.
  server.maxConnections = cfg.maxConnections + 256;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: cfg.maxMessageBytes,
    WebSocket: RelaySocket,
    closeTimeout: CLOSE_TIMEOUT_MS,
  } as ServerOptions);

  /** Takes a client out of every room (telling the others) and stops serving it. Idempotent. */
  const drop = (c: Client): void => {
    c.gone = true;
    if (!clients.delete(c)) return;
    for (const room of rooms.leaveAll(c)) {
      const left = encode.peerLeft(room);
      for (const o of rooms.others(room, c)) send(o, left);
    }
  };

  const fail = (c: Client, code: number, reason: string): void => {
    if (c.gone) return;
    log.info('closing socket', { socket: c.id, code, reason });
    drop(c);
    c.ws.close(code, reason);
  };

  const send = (c: Client, payload: string | Buffer): void => {
    if (c.gone || c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount + payload.length > cfg.maxBufferedBytes) {
      // A slow consumer: its close frame would queue behind the same backlog, so cut it off.
      log.warn('dropping slow consumer', { socket: c.id, buffered: c.ws.bufferedAmount });
      drop(c);
      c.ws.terminate();
      return;
    }
    c.ws.send(payload, { binary: false });
  };

  const handle = (c: Client, m: ClientMessage): void => {
    switch (m.type) {
      case 'ping':
        return send(c, encode.pong());
      case 'subscribe': {
        const r = rooms.join(m.room, c);
        if (r === 'too-many-rooms')
          return fail(c, CloseCode.TOO_MANY_ROOMS, `more than ${cfg.maxRoomsPerSocket} rooms`);
        if (r === 'room-full')
          return send(c, encode.error('room-full', `room already has ${cfg.maxPeersPerRoom} peers`, m.room));
        const others = rooms.others(m.room, c);
        send(c, encode.subscribed(m.room, others.length));
        if (r === 'joined') {
          log.debug('subscribed', { socket: c.id, room: roomTag(m.room), peers: others.length });
          try {
            onSubscribe?.(m.room, c.id);
          } catch (e) {
            log.error('onSubscribe hook threw', { error: (e as Error).message });
          }
          const joined = encode.peerJoined(m.room);
          for (const o of others) send(o, joined);
        }
        return;
      }
      case 'unsubscribe': {
        if (!rooms.leave(m.room, c)) return;
        const left = encode.peerLeft(m.room);
        for (const o of rooms.others(m.room, c)) send(o, left);
        return;
      }
      case 'publish': {
        if (!rooms.isIn(m.room, c))
          return send(c, encode.error('not-subscribed', 'publish to a room this socket has not subscribed to', m.room));
        let data: string | null = m.data;
        if (onForward) {
          try {
            const replaced = onForward(m.room, m.data, c.id);
            if (replaced !== undefined) data = replaced;
          } catch (e) {
            log.error('onForward hook threw; message dropped', { error: (e as Error).message });
            data = null;
          }
        }
        if (data === null) return;
        // Validated room and data are base64url, which needs no JSON escaping: skip stringify.
        const frame = Buffer.from(data === m.data ? encode.plainMessage(m.room, data) : encode.message(m.room, data));
        for (const o of rooms.others(m.room, c)) send(o, frame);
        return;
      }
    }
  };

  const onMessage = (c: Client, raw: RawData, isBinary: boolean): void => {
    if (c.gone) return;
    const now = Date.now();
    c.lastSeen = now;
    if (!c.bucket.take(now)) return fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    if (isBinary) return fail(c, CloseCode.MALFORMED, 'binary frames are not part of the protocol');
    // maxPayload already bounds the frame; this also covers fragmented or array-typed data.
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (buf.length > cfg.maxMessageBytes) return fail(c, CloseCode.TOO_LARGE, 'message too large');
    const parsed = parseClientMessage(buf.toString('utf8'));
    if (parsed.ok) return handle(c, parsed.message);
    if (parsed.fatal) return fail(c, CloseCode.MALFORMED, parsed.reason);
    send(c, encode.error(parsed.code, parsed.reason));
  };

  const onConnection = (ws: WebSocket): void => {
    ws.on('error', (e) => log.debug('socket error', { error: e.message }));
    if (shuttingDown) return ws.close(CloseCode.GOING_AWAY, 'relay shutting down');
    if (clients.size >= cfg.maxConnections) {
      log.warn('relay full, refusing socket', { connections: clients.size });
      return ws.close(CloseCode.RELAY_FULL, 'relay full, try again later');
    }
    const now = Date.now();
    const c: Client = {
      id: `s${++nextId}`,
      ws,
      bucket: new TokenBucket(cfg.maxMessagesPerSecond, cfg.burst, now),
      lastSeen: now,
      gone: false,
    };
    clients.add(c);
    log.debug('socket open', { socket: c.id, connections: clients.size });
    ws.on('message', (data, isBinary) => onMessage(c, data, isBinary));
    // Control frames count against the rate too: ws answers pings by itself, so a ping flood
    // would otherwise cost the relay a pong each without ever reaching the bucket.
    const control = (): void => {
      if (c.gone) return;
      c.lastSeen = Date.now();
      if (!c.bucket.take(c.lastSeen)) fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    };
    ws.on('ping', control);
    ws.on('pong', control);
    ws.on('close', (code) => {
      drop(c);
      log.debug('socket closed', { socket: c.id, code, connections: clients.size });
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of [...clients]) {
      if (now - c.lastSeen >= cfg.idleTimeoutMs) fail(c, CloseCode.IDLE, 'idle');
      else if (c.ws.bufferedAmount > cfg.maxBufferedBytes) {
        log.warn('dropping slow consumer', { socket: c.id, buffered: c.ws.bufferedAmount });
        drop(c);
        c.ws.terminate();
      } else c.ws.ping();
    }
  }, cfg.heartbeatMs);
  sweep.unref();

  const listen = (port = cfg.port, host = cfg.host): Promise<{ port: number; url: string }> =>
    new Promise((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const bound = (server.address() as AddressInfo).port;
        const shownHost = host.includes(':') ? `[${host}]` : host;
        resolvePromise({ port: bound, url: `http://${shownHost}:${bound}` });
      });
    });

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(sweep);
    const all = [...clients];
    const sockets = all.map((c) => c.ws);
    for (const c of all) c.gone = true; // nobody is told peer-left: everyone is leaving
    for (const c of all) drop(c);
    const closed = Promise.all(
      sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? null : new Promise((r) => ws.once('close', r)))),
    );
    for (const ws of sockets) ws.close(CloseCode.GOING_AWAY, 'relay shutting down');
    const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), 2000);
    await closed;
    clearTimeout(timer);
    await new Promise<void>((r) => {
      if (!server.listening) return r();
      server.close(() => r());
      server.closeAllConnections();
    });
    wss.close();
    log.info('relay closed');
  };

  return {
    server,
    listen,
    close,
    get connections() {
      return clients.size;
    },
  };
}

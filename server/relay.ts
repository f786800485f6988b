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
  return new SignalRelay(options);
}

/** The relay behind {@link createRelay}: the HTTP server, the WebSocket sockets and their rooms. */
class SignalRelay implements Relay {
  readonly server: Server;
  private readonly cfg: RelayConfig;
  private readonly log: Logger;
  private readonly onForward: ForwardHook | undefined;
  private readonly onSubscribe: SubscribeHook | undefined;
  private readonly rooms: Rooms<Client>;
  private readonly clients = new Set<Client>();
  private readonly wss: WebSocketServer;
  private readonly sweep: ReturnType<typeof setInterval>;
  private nextId = 0;
  private shuttingDown = false;

  constructor(options: RelayOptions) {
    const { onForward, onSubscribe, logger, ...rest } = options;
    this.cfg = { ...DEFAULT_CONFIG, ...rest };
    this.log = logger ?? createLogger(this.cfg.logLevel);
    this.onForward = onForward;
    this.onSubscribe = onSubscribe;
    this.rooms = new Rooms<Client>(this.cfg.maxPeersPerRoom, this.cfg.maxRoomsPerSocket);
    this.server = this.createHttpServer();
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.cfg.maxMessageBytes,
      WebSocket: RelaySocket,
      closeTimeout: CLOSE_TIMEOUT_MS,
    } as ServerOptions);
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.sweep = setInterval(() => this.sweepSockets(), this.cfg.heartbeatMs);
    this.sweep.unref();
  }

  get connections(): number {
    return this.clients.size;
  }

  listen(port = this.cfg.port, host = this.cfg.host): Promise<{ port: number; url: string }> {
    const server = this.server;
    return new Promise((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const bound = (server.address() as AddressInfo).port;
        const shownHost = host.includes(':') ? `[${host}]` : host;
        resolvePromise({ port: bound, url: `http://${shownHost}:${bound}` });
      });
    });
  }

  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.sweep);
    const all = [...this.clients];
    const sockets = all.map((c) => c.ws);
    for (const c of all) c.gone = true; // nobody is told peer-left: everyone is leaving
    for (const c of all) this.drop(c);
    const closed = Promise.all(
      sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? null : new Promise((r) => ws.once('close', r)))),
    );
    for (const ws of sockets) ws.close(CloseCode.GOING_AWAY, 'relay shutting down');
    const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), 2000);
    await closed;
    clearTimeout(timer);
    await new Promise<void>((r) => {
      if (!this.server.listening) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
    this.wss.close();
    this.log.info('relay closed');
  }

  /** The HTTP side: the app, /config.json, /healthz (static.ts), with Node's own limits set. */
  private createHttpServer(): Server {
    const stats = (): unknown => {
      (globalThis as { gc?: () => void }).gc?.();
      return { connections: this.clients.size, rooms: this.rooms.roomCount, memory: process.memoryUsage() };
    };
    const server = createServer(
      createHttpHandler({
        staticDir: this.cfg.staticDir,
        iceServers: this.cfg.iceServers,
        stats: this.cfg.stats ? stats : undefined,
        log: this.log,
      }),
    );
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    // Node destroys TCP connections beyond this at accept time; the margin keeps
    // room for the 1013 answer to sockets over MAX_CONNECTIONS and for /healthz.
    server.maxConnections = this.cfg.maxConnections + 256;
    return server;
  }

  /** Only `/signal` becomes a WebSocket. */
  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** A new socket: refused while shutting down or full, else served until it closes. */
  private accept(ws: WebSocket): void {
    ws.on('error', (e) => this.log.debug('socket error', { error: e.message }));
    if (this.shuttingDown) return ws.close(CloseCode.GOING_AWAY, 'relay shutting down');
    if (this.clients.size >= this.cfg.maxConnections) {
      this.log.warn('relay full, refusing socket', { connections: this.clients.size });
      return ws.close(CloseCode.RELAY_FULL, 'relay full, try again later');
    }
    const now = Date.now();
    const c: Client = {
      id: `s${++this.nextId}`,
      ws,
      bucket: new TokenBucket(this.cfg.maxMessagesPerSecond, this.cfg.burst, now),
      lastSeen: now,
      gone: false,
    };
    this.clients.add(c);
    this.log.debug('socket open', { socket: c.id, connections: this.clients.size });
    ws.on('message', (data, isBinary) => this.receive(c, data, isBinary));
    // Control frames count against the rate too: ws answers pings by itself, so a ping flood
    // would otherwise cost the relay a pong each without ever reaching the bucket.
    const control = (): void => {
      if (c.gone) return;
      c.lastSeen = Date.now();
      if (!c.bucket.take(c.lastSeen)) this.fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    };
    ws.on('ping', control);
    ws.on('pong', control);
    ws.on('close', (code) => {
      this.drop(c);
      this.log.debug('socket closed', { socket: c.id, code, connections: this.clients.size });
    });
  }

  /** Heartbeat: closes idle sockets, cuts slow consumers, pings the rest. */
  private sweepSockets(): void {
    const now = Date.now();
    for (const c of [...this.clients]) {
      if (now - c.lastSeen >= this.cfg.idleTimeoutMs) this.fail(c, CloseCode.IDLE, 'idle');
      else if (c.ws.bufferedAmount > this.cfg.maxBufferedBytes) this.cutSlowConsumer(c);
      else c.ws.ping();
    }
  }

  /** One frame from a socket: rate, type and size checked before it is parsed and handled. */
  private receive(c: Client, raw: RawData, isBinary: boolean): void {
    if (c.gone) return;
    const now = Date.now();
    c.lastSeen = now;
    if (!c.bucket.take(now)) return this.fail(c, CloseCode.RATE_LIMITED, 'rate limit exceeded');
    if (isBinary) return this.fail(c, CloseCode.MALFORMED, 'binary frames are not part of the protocol');
    // maxPayload already bounds the frame; this also covers fragmented or array-typed data.
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (buf.length > this.cfg.maxMessageBytes) return this.fail(c, CloseCode.TOO_LARGE, 'message too large');
    const parsed = parseClientMessage(buf.toString('utf8'));
    if (parsed.ok) return this.handle(c, parsed.message);
    if (parsed.fatal) return this.fail(c, CloseCode.MALFORMED, parsed.reason);
    this.send(c, encode.error(parsed.code, parsed.reason));
  }

  private handle(c: Client, m: ClientMessage): void {
    switch (m.type) {
      case 'ping':
        return this.send(c, encode.pong());
      case 'subscribe':
        return this.subscribe(c, m.room);
      case 'unsubscribe':
        return this.unsubscribe(c, m.room);
      case 'publish':
        return this.publish(c, m.room, m.data);
    }
  }

  private subscribe(c: Client, room: string): void {
    const r = this.rooms.join(room, c);
    if (r === 'too-many-rooms')
      return this.fail(c, CloseCode.TOO_MANY_ROOMS, `more than ${this.cfg.maxRoomsPerSocket} rooms`);
    if (r === 'room-full')
      return this.send(c, encode.error('room-full', `room already has ${this.cfg.maxPeersPerRoom} peers`, room));
    const others = this.rooms.others(room, c);
    this.send(c, encode.subscribed(room, others.length));
    if (r === 'joined') {
      this.log.debug('subscribed', { socket: c.id, room: roomTag(room), peers: others.length });
      try {
        this.onSubscribe?.(room, c.id);
      } catch (e) {
        this.log.error('onSubscribe hook threw', { error: (e as Error).message });
      }
      const joined = encode.peerJoined(room);
      for (const o of others) this.send(o, joined);
    }
  }

  private unsubscribe(c: Client, room: string): void {
    if (!this.rooms.leave(room, c)) return;
    const left = encode.peerLeft(room);
    for (const o of this.rooms.others(room, c)) this.send(o, left);
  }

  private publish(c: Client, room: string, data: string): void {
    if (!this.rooms.isIn(room, c))
      return this.send(c, encode.error('not-subscribed', 'publish to a room this socket has not subscribed to', room));
    const out = this.forwarded(c, room, data);
    if (out === null) return;
    // Validated room and data are base64url, which needs no JSON escaping: skip stringify.
    const frame = Buffer.from(out === data ? encode.plainMessage(room, out) : encode.message(room, out));
    for (const o of this.rooms.others(room, c)) this.send(o, frame);
  }

  /** What the onForward hook makes of a publish: the data to forward, or null to drop it. */
  private forwarded(c: Client, room: string, data: string): string | null {
    if (!this.onForward) return data;
    try {
      const replaced = this.onForward(room, data, c.id);
      return replaced !== undefined ? replaced : data;
    } catch (e) {
      this.log.error('onForward hook threw; message dropped', { error: (e as Error).message });
      return null;
    }
  }

  /** Takes a client out of every room (telling the others) and stops serving it. Idempotent. */
  private drop(c: Client): void {
    c.gone = true;
    if (!this.clients.delete(c)) return;
    for (const room of this.rooms.leaveAll(c)) {
      const left = encode.peerLeft(room);
      for (const o of this.rooms.others(room, c)) this.send(o, left);
    }
  }

  private fail(c: Client, code: number, reason: string): void {
    if (c.gone) return;
    this.log.info('closing socket', { socket: c.id, code, reason });
    this.drop(c);
    c.ws.close(code, reason);
  }

  private send(c: Client, payload: string | Buffer): void {
    if (c.gone || c.ws.readyState !== WebSocket.OPEN) return;
    // A slow consumer: its close frame would queue behind the same backlog, so cut it off.
    if (c.ws.bufferedAmount + payload.length > this.cfg.maxBufferedBytes) return this.cutSlowConsumer(c);
    c.ws.send(payload, { binary: false });
  }

  private cutSlowConsumer(c: Client): void {
    this.log.warn('dropping slow consumer', { socket: c.id, buffered: c.ws.bufferedAmount });
    this.drop(c);
    c.ws.terminate();
  }
}

/**
 * The signaling relay (docs/interfaces.md, "Signaling relay protocol"; docs/relay.md): one HTTP
 * server that serves the app, /config.json, /healthz and /metrics, and upgrades `/signal` to a
 * WebSocket. The relay forwards opaque base64url blobs to the other sockets of a room and keeps
 * sealed blobs in mailboxes, and nothing else. Every socket, every client address and the
 * process as a whole are bounded, so no input can crash the relay or stall a socket that stays
 * inside its own limits.
 *
 * Parts: connections.ts (sockets and limits), dispatch.ts (frames), hub.ts / hub-redis.ts (rooms),
 * mailbox-*.ts (mailbox), budget.ts and client-ip.ts (global and per-address budgets),
 * backend.ts (in memory or Redis), metrics.ts, ice.ts, static.ts (HTTP).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, WebSocket, type ServerOptions } from 'ws';
import { createBackend, type Backend } from './backend';
import { IpTable, addressKey, clientAddress } from './client-ip';
import { DEFAULT_CONFIG, type RelayConfig } from './config';
import { Connections, type Client } from './connections';
import { createDispatch, type ForwardHook, type SubscribeHook } from './dispatch';
import { iceConfig } from './ice';
import { createLogger, type Logger } from './log';
import { createMailboxHandler, type MailboxHook } from './mailbox-handler';
import { createMetrics, type RelayMetrics } from './metrics';
import { CloseCode } from './protocol';
import { createHttpHandler } from './static';

export type { ForwardHook, MailboxHook, SubscribeHook };

export interface RelayOptions extends Partial<RelayConfig> {
  onForward?: ForwardHook;
  /** Called when a socket joins a room (not for a repeated subscribe); see dispatch.ts. */
  onSubscribe?: SubscribeHook;
  /** Sees every accepted mailbox request (tests record what the relay stores). */
  onMailbox?: MailboxHook;
  /** Defaults to JSON lines on stdout at `logLevel`. */
  logger?: Logger;
}

export interface Relay {
  server: Server;
  /** Listens (defaults: the configured port and host) and resolves with the bound port and URL. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /**
   * Graceful shutdown: stops accepting, closes every socket with 1012 (reconnect now — to another
   * instance), waits up to SHUTDOWN_DRAIN_MS for them and for requests in flight, then releases
   * Redis. Resolves once everything is closed.
   */
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

/** How long a socket being closed may take to answer the close frame before it is destroyed. */
const CLOSE_TIMEOUT_MS = 5000;

/** The relay's parts, tied together (each is in its own file; this class only wires and runs them). */
class SignalRelay implements Relay {
  readonly server: Server;
  private readonly cfg: RelayConfig;
  private readonly log: Logger;
  private readonly ips: IpTable;
  private readonly metrics: RelayMetrics;
  private readonly conns: Connections;
  private readonly backend: Backend;
  private readonly wss: WebSocketServer;
  private readonly sweep: ReturnType<typeof setInterval>;
  private shuttingDown = false;

  constructor(options: RelayOptions) {
    const { onForward, onSubscribe, onMailbox, logger, ...rest } = options;
    this.cfg = { ...DEFAULT_CONFIG, ...rest };
    const cfg = this.cfg;
    this.log = logger ?? createLogger(cfg.logLevel);
    this.ips = new IpTable(cfg);
    this.metrics = createMetrics({
      sockets: () => this.conns.clients.size,
      rooms: () => this.backend.hub.roomCount,
      pausedSockets: () => this.conns.input.pausedCount,
      bufferedBytes: () => this.conns.output.total,
      mailbox: () => this.backend.mailbox.stats(),
    });
    const { log, ips, metrics } = this;
    this.conns = new Connections({ cfg, log, metrics, ips, onDrop: (c, quiet) => this.dropped(c, quiet) });
    this.backend = createBackend(cfg, log, (c: Client, frame, relayed) => {
      if (relayed) metrics.relayed(frame.length);
      this.conns.send(c, frame);
    });
    const send = (c: Client, f: string) => this.conns.send(c, f);
    const mailbox = createMailboxHandler({ store: this.backend.mailbox, cfg, ips, metrics, log, send, onMailbox });
    const hub = this.backend.hub;
    this.conns.dispatch = createDispatch({ cfg, log, conns: this.conns, hub, mailbox, onForward, onSubscribe });
    this.backend.ready.catch((e: Error) => log.error('relay backend failed to start', { error: e.message }));
    this.server = this.createHttpServer();
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: cfg.maxMessageBytes,
      WebSocket: RelaySocket,
      closeTimeout: CLOSE_TIMEOUT_MS,
    } as ServerOptions);
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    this.server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.sweep = setInterval(() => this.sweepAll(), cfg.heartbeatMs);
    this.sweep.unref();
  }

  get connections(): number {
    return this.conns.clients.size;
  }

  private createHttpServer(): Server {
    const { cfg, metrics } = this;
    const server = createServer(
      createHttpHandler({
        staticDir: cfg.staticDir,
        iceConfig: () => iceConfig(cfg, Date.now()),
        stats: cfg.stats ? () => stats(this.conns, this.backend.hub.roomCount) : undefined,
        metrics: cfg.metrics
          ? async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() })
          : undefined,
        healthy: () => !this.shuttingDown && this.backend.healthy(),
        log: this.log,
      }),
    );
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    // Node destroys TCP connections beyond this at accept time; the margin keeps
    // room for the 1013 answer to sockets over MAX_CONNECTIONS and for /healthz.
    server.maxConnections = cfg.maxConnections + 256;
    return server;
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  /** A new WebSocket: refused when draining, full, or its address is at its cap; served otherwise. */
  private accept(ws: WebSocket, req: IncomingMessage): void {
    const { cfg, conns, log } = this;
    ws.on('error', (e) => log.debug('socket error', { error: e.message }));
    if (this.shuttingDown) return this.refuse(ws, CloseCode.SERVICE_RESTART, 'relay shutting down, reconnect');
    if (conns.clients.size >= cfg.maxConnections) {
      log.warn('relay full, refusing socket', { connections: conns.clients.size });
      return this.refuse(ws, CloseCode.RELAY_FULL, 'relay full, try again later');
    }
    const ip = addressKey(clientAddress(req, cfg.trustProxyHeader, cfg.trustProxyHops));
    if (!this.ips.admit(ip, Date.now()))
      return this.refuse(ws, CloseCode.RELAY_FULL, 'too many connections from your address');
    const c = conns.accept(ws, ip);
    log.debug('socket open', { socket: c.id, connections: conns.clients.size });
  }

  private refuse(ws: WebSocket, code: number, reason: string): void {
    this.metrics.refused(code);
    ws.close(code, reason);
  }

  private dropped(c: Client, quiet: boolean): void {
    this.ips.release(c.ip);
    this.backend.hub.leaveAll(c, quiet);
  }

  private sweepAll(): void {
    const now = Date.now();
    this.conns.sweep(now);
    this.ips.sweep(now);
  }

  async listen(port = this.cfg.port, host = this.cfg.host): Promise<{ port: number; url: string }> {
    await this.backend.ready;
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
    const server = this.server;
    const stopped = new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    server.closeIdleConnections();
    await this.conns.closeAll(CloseCode.SERVICE_RESTART, 'relay shutting down, reconnect', this.cfg.shutdownDrainMs);
    this.conns.input.close();
    await this.backend.ready.catch(() => {});
    await this.backend.close();
    server.closeAllConnections();
    await stopped;
    this.wss.close();
    this.log.info('relay closed');
  }
}

/** A relay with `options` (any RelayConfig field in camelCase, hooks, logger); call listen() to serve. */
export function createRelay(options: RelayOptions = {}): Relay {
  return new SignalRelay(options);
}

function stats(conns: Connections, rooms: number): unknown {
  (globalThis as { gc?: () => void }).gc?.();
  return { connections: conns.clients.size, rooms, memory: process.memoryUsage() };
}

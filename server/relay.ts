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
import { createBackend } from './backend';
import { IpTable, addressKey, clientAddress } from './client-ip';
import { DEFAULT_CONFIG, type RelayConfig } from './config';
import { Connections, type Client } from './connections';
import { createDispatch, type ForwardHook, type SubscribeHook } from './dispatch';
import { iceConfig } from './ice';
import { createLogger, type Logger } from './log';
import { createMailboxHandler, type MailboxHook } from './mailbox-handler';
import { createMetrics } from './metrics';
import { CloseCode } from './protocol';
import { createHttpHandler } from './static';

export type { ForwardHook, MailboxHook, SubscribeHook };

export interface RelayOptions extends Partial<RelayConfig> {
  onForward?: ForwardHook;
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

export function createRelay(options: RelayOptions = {}): Relay {
  const { onForward, onSubscribe, onMailbox, logger, ...rest } = options;
  const cfg: RelayConfig = { ...DEFAULT_CONFIG, ...rest };
  const log = logger ?? createLogger(cfg.logLevel);
  const ips = new IpTable(cfg);
  let shuttingDown = false;

  // The parts refer to each other (the hub delivers through the connections, which drop from
  // the hub): built in this order, tied together through these closures.
  const metrics = createMetrics({
    sockets: () => conns.clients.size,
    rooms: () => backend.hub.roomCount,
    pausedSockets: () => conns.input.pausedCount,
    bufferedBytes: () => conns.output.total,
    mailbox: () => backend.mailbox.stats(),
  });
  const conns: Connections = new Connections({
    cfg,
    log,
    metrics,
    ips,
    onDrop: (c, quiet) => {
      ips.release(c.ip);
      backend.hub.leaveAll(c, quiet);
    },
  });
  const backend = createBackend(cfg, log, (c: Client, frame, relayed) => {
    if (relayed) metrics.relayed(frame.length);
    conns.send(c, frame);
  });
  const mailbox = createMailboxHandler({
    store: backend.mailbox,
    cfg,
    ips,
    metrics,
    log,
    send: (c, f) => conns.send(c, f),
    ...(onMailbox ? { onMailbox } : {}),
  });
  conns.dispatch = createDispatch({
    cfg,
    log,
    conns,
    hub: backend.hub,
    mailbox,
    ...(onForward ? { onForward } : {}),
    ...(onSubscribe ? { onSubscribe } : {}),
  });
  backend.ready.catch((e: Error) => log.error('relay backend failed to start', { error: e.message }));

  const server = createServer(
    createHttpHandler({
      staticDir: cfg.staticDir,
      iceConfig: () => iceConfig(cfg, Date.now()),
      stats: cfg.stats ? () => stats(conns, backend.hub.roomCount) : undefined,
      metrics: cfg.metrics
        ? async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() })
        : undefined,
      healthy: () => !shuttingDown && backend.healthy(),
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

  const refuse = (ws: WebSocket, code: number, reason: string): void => {
    metrics.refused(code);
    ws.close(code, reason);
  };

  const onConnection = (ws: WebSocket, req: IncomingMessage): void => {
    ws.on('error', (e) => log.debug('socket error', { error: e.message }));
    if (shuttingDown) return refuse(ws, CloseCode.SERVICE_RESTART, 'relay shutting down, reconnect');
    if (conns.clients.size >= cfg.maxConnections) {
      log.warn('relay full, refusing socket', { connections: conns.clients.size });
      return refuse(ws, CloseCode.RELAY_FULL, 'relay full, try again later');
    }
    const ip = addressKey(clientAddress(req, cfg.trustProxyHeader, cfg.trustProxyHops));
    if (!ips.admit(ip, Date.now())) return refuse(ws, CloseCode.RELAY_FULL, 'too many connections from your address');
    const c = conns.accept(ws, ip);
    log.debug('socket open', { socket: c.id, connections: conns.clients.size });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const sweep = setInterval(() => {
    const now = Date.now();
    conns.sweep(now);
    ips.sweep(now);
  }, cfg.heartbeatMs);
  sweep.unref();

  const listen = async (port = cfg.port, host = cfg.host): Promise<{ port: number; url: string }> => {
    await backend.ready;
    return new Promise((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const bound = (server.address() as AddressInfo).port;
        const shownHost = host.includes(':') ? `[${host}]` : host;
        resolvePromise({ port: bound, url: `http://${shownHost}:${bound}` });
      });
    });
  };

  const close = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(sweep);
    const stopped = new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    server.closeIdleConnections();
    await conns.closeAll(CloseCode.SERVICE_RESTART, 'relay shutting down, reconnect', cfg.shutdownDrainMs);
    conns.input.close();
    await backend.ready.catch(() => {});
    await backend.close();
    server.closeAllConnections();
    await stopped;
    wss.close();
    log.info('relay closed');
  };

  return {
    server,
    listen,
    close,
    get connections() {
      return conns.clients.size;
    },
  };
}

function stats(conns: Connections, rooms: number): unknown {
  (globalThis as { gc?: () => void }).gc?.();
  return { connections: conns.clients.size, rooms, memory: process.memoryUsage() };
}

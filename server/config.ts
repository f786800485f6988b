/**
 * Relay configuration: defaults, and the environment variables of docs/relay.md
 * ("Environment") read into one typed object. A bad value fails startup with a message naming
 * the variable, rather than running with a surprising limit.
 */
import { ConfigError, headerName, iceServers, int, oneOf, redisUrl, turnSecret, urlList } from './config-parse';
import type { LogLevel } from './log';

export { ConfigError };

export interface RelayConfig {
  port: number;
  host: string;
  staticDir: string;
  /** Static RTCIceServer objects, served at GET /config.json before the STUN/TURN ones. */
  iceServers: unknown[];
  /** Largest text frame accepted from a client, in bytes (whole JSON frame). */
  maxMessageBytes: number;
  maxRoomsPerSocket: number;
  /** Across every instance of a deployment when `redisUrl` is set. */
  maxPeersPerRoom: number;
  /** Token bucket: refill rate per second and bucket size. */
  maxMessagesPerSecond: number;
  burst: number;
  /** A socket with no message and no pong for this long is closed with 4408. */
  idleTimeoutMs: number;
  /** Interval of ws pings and of the idle sweep. */
  heartbeatMs: number;
  maxConnections: number;
  /** A socket whose unsent output exceeds this is a slow consumer and is dropped. */
  maxBufferedBytes: number;
  logLevel: LogLevel;
  /** GET /stats (connections, rooms, process memory) for the benchmark; off unless asked for. */
  stats: boolean;

  /** Scale-out (docs/relay.md "Several instances"): rooms and mailbox in Redis. */
  redisUrl: string | null;

  /** Global budgets (docs/relay.md "Budgets"). Parsed client bytes per second, all sockets. */
  globalBytesPerSecond: number;
  /** A socket that sent less than this in the last second is "light": not paused first. */
  lightSocketBytesPerSecond: number;
  /** Unsent output of all sockets together; over it the largest backlog is dropped. */
  maxBufferedBytesTotal: number;
  maxConnectionsPerIp: number;
  /** Token bucket over all frames of one client address. */
  ipMessagesPerSecond: number;
  ipBurst: number;
  /** Header holding the client address behind a reverse proxy (e.g. x-forwarded-for). */
  trustProxyHeader: string | null;
  /** How many proxies in front of the relay append to that header. */
  trustProxyHops: number;

  /** Mailbox (docs/relay.md "Mailbox"). */
  mailboxMaxBlobs: number;
  mailboxMaxBytes: number;
  mailboxTtlS: number;
  mailboxMaxTotalBytes: number;
  /** Stored bytes one client address may add per minute (token bucket, burst = one minute). */
  mailboxIpBytesPerMinute: number;

  /** GET /metrics in Prometheus text format. */
  metrics: boolean;
  /** On SIGTERM: how long open sockets get to go before they are cut. */
  shutdownDrainMs: number;

  /** ICE (docs/relay.md "STUN and TURN"). */
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | null;
  turnTtlS: number;
  iceTransportPolicy: 'all' | 'relay';
}

const MIB = 1024 * 1024;

export const DEFAULT_CONFIG: RelayConfig = {
  port: 8080,
  host: 'localhost',
  staticDir: 'dist',
  iceServers: [],
  maxMessageBytes: 65536,
  // A member of a 50-member group may meet each of the 49 others (docs/groups.md §12): the app
  // holds at most 112 rooms (`ROOM_BUDGET`), so a socket never needs more than this.
  maxRoomsPerSocket: 128,
  maxPeersPerRoom: 8,
  maxMessagesPerSecond: 50,
  burst: 100,
  idleTimeoutMs: 60_000,
  heartbeatMs: 20_000,
  maxConnections: 10_000,
  maxBufferedBytes: MIB,
  logLevel: 'info',
  stats: false,
  redisUrl: null,
  globalBytesPerSecond: 16 * MIB,
  lightSocketBytesPerSecond: 64 * 1024,
  maxBufferedBytesTotal: 64 * MIB,
  maxConnectionsPerIp: 64,
  ipMessagesPerSecond: 250,
  ipBurst: 500,
  trustProxyHeader: null,
  trustProxyHops: 1,
  mailboxMaxBlobs: 256,
  mailboxMaxBytes: 32768,
  mailboxTtlS: 7 * 24 * 3600,
  mailboxMaxTotalBytes: 128 * MIB,
  mailboxIpBytesPerMinute: MIB,
  metrics: true,
  shutdownDrainMs: 10_000,
  stunUrls: [],
  turnUrls: [],
  turnSecret: null,
  turnTtlS: 6 * 3600,
  iceTransportPolicy: 'all',
};

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const D = DEFAULT_CONFIG;

type Env = NodeJS.ProcessEnv;

function socketLimits(env: Env) {
  const rate = int(env, 'MAX_MESSAGES_PER_SECOND', D.maxMessagesPerSecond, 1);
  return {
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', D.maxMessageBytes, 256),
    maxRoomsPerSocket: int(env, 'MAX_ROOMS_PER_SOCKET', D.maxRoomsPerSocket, 1),
    maxPeersPerRoom: int(env, 'MAX_PEERS_PER_ROOM', D.maxPeersPerRoom, 2),
    maxMessagesPerSecond: rate,
    // The contract fixes the burst at twice the rate (50/s, burst 100); RATE_BURST overrides it.
    burst: int(env, 'RATE_BURST', rate * 2, 1),
    idleTimeoutMs: int(env, 'IDLE_TIMEOUT_MS', D.idleTimeoutMs, 100),
    heartbeatMs: int(env, 'HEARTBEAT_MS', D.heartbeatMs, 50),
    maxConnections: int(env, 'MAX_CONNECTIONS', D.maxConnections, 1),
    maxBufferedBytes: int(env, 'MAX_BUFFERED_BYTES', D.maxBufferedBytes, 65536),
  };
}

function globalLimits(env: Env) {
  const ipRate = int(env, 'IP_MESSAGES_PER_SECOND', D.ipMessagesPerSecond, 1);
  return {
    globalBytesPerSecond: int(env, 'GLOBAL_BYTES_PER_SECOND', D.globalBytesPerSecond, 65536),
    lightSocketBytesPerSecond: int(env, 'LIGHT_SOCKET_BYTES_PER_SECOND', D.lightSocketBytesPerSecond, 1024),
    maxBufferedBytesTotal: int(env, 'MAX_BUFFERED_BYTES_TOTAL', D.maxBufferedBytesTotal, MIB),
    maxConnectionsPerIp: int(env, 'MAX_CONNECTIONS_PER_IP', D.maxConnectionsPerIp, 1),
    ipMessagesPerSecond: ipRate,
    ipBurst: int(env, 'IP_BURST', ipRate * 2, 1),
    trustProxyHeader: headerName(env, 'TRUST_PROXY_HEADER'),
    trustProxyHops: int(env, 'TRUST_PROXY_HOPS', D.trustProxyHops, 1, 16),
  };
}

function mailboxLimits(env: Env) {
  return {
    mailboxMaxBlobs: int(env, 'MAILBOX_MAX_BLOBS', D.mailboxMaxBlobs, 1, 10_000),
    // Blobs come in size classes of 1, 4, 16 and 32 KiB (docs/relay.md "Mailbox").
    mailboxMaxBytes: int(env, 'MAILBOX_MAX_BYTES', D.mailboxMaxBytes, 1024, 32768),
    mailboxTtlS: int(env, 'MAILBOX_TTL_S', D.mailboxTtlS, 60, 90 * 24 * 3600),
    mailboxMaxTotalBytes: int(env, 'MAILBOX_MAX_TOTAL_BYTES', D.mailboxMaxTotalBytes, 0),
    mailboxIpBytesPerMinute: int(env, 'MAILBOX_IP_BYTES_PER_MINUTE', D.mailboxIpBytesPerMinute, 1024),
  };
}

function iceSettings(env: Env) {
  const turnUrls = urlList(env, 'TURN_URLS', ['turn:', 'turns:']);
  return {
    iceServers: iceServers(env.ICE_SERVERS),
    stunUrls: urlList(env, 'STUN_URLS', ['stun:', 'stuns:']),
    turnUrls,
    turnSecret: turnSecret(env, turnUrls),
    turnTtlS: int(env, 'TURN_TTL_S', D.turnTtlS, 60, 7 * 24 * 3600),
    iceTransportPolicy: oneOf(env, 'ICE_TRANSPORT_POLICY', ['all', 'relay'] as const, D.iceTransportPolicy),
  };
}

/** Reads the relay's environment variables; throws ConfigError naming the first bad one. */
export function configFromEnv(env: Env = process.env): RelayConfig {
  const logLevel = oneOf(env, 'LOG_LEVEL', LEVELS, D.logLevel);
  const ice = iceSettings(env);
  if (ice.iceTransportPolicy === 'relay' && ice.turnUrls.length === 0 && ice.iceServers.length === 0)
    throw new ConfigError('relay config: ICE_TRANSPORT_POLICY=relay needs TURN_URLS (or ICE_SERVERS with TURN)');
  return {
    port: int(env, 'PORT', D.port, 0, 65535),
    host: env.HOST?.trim() || D.host,
    staticDir: env.STATIC_DIR?.trim() || D.staticDir,
    ...socketLimits(env),
    logLevel,
    stats: env.RELAY_STATS === '1',
    redisUrl: redisUrl(env),
    ...globalLimits(env),
    ...mailboxLimits(env),
    metrics: oneOf(env, 'METRICS', ['on', 'off'] as const, 'on') === 'on',
    shutdownDrainMs: int(env, 'SHUTDOWN_DRAIN_MS', D.shutdownDrainMs, 0),
    ...ice,
  };
}

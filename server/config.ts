/**
 * Relay configuration: defaults, and the environment variables of docs/interfaces.md
 * ("Signaling relay protocol") read into one typed object. A bad value fails startup with a
 * message naming the variable, rather than running with a surprising limit.
 */
import type { LogLevel } from './log';

export interface RelayConfig {
  port: number;
  host: string;
  staticDir: string;
  /** Served as `{"iceServers": …}` at GET /config.json. */
  iceServers: unknown[];
  /** Largest text frame accepted from a client, in bytes (whole JSON frame). */
  maxMessageBytes: number;
  maxRoomsPerSocket: number;
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
}

export const DEFAULT_CONFIG: RelayConfig = {
  port: 8080,
  host: 'localhost',
  staticDir: 'dist',
  iceServers: [],
  maxMessageBytes: 65536,
  maxRoomsPerSocket: 32,
  maxPeersPerRoom: 8,
  maxMessagesPerSecond: 50,
  burst: 100,
  idleTimeoutMs: 60_000,
  heartbeatMs: 20_000,
  maxConnections: 10_000,
  maxBufferedBytes: 1024 * 1024,
  logLevel: 'info',
  stats: false,
};

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new ConfigError(`relay config: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function iceServers(raw: string | undefined): unknown[] {
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new ConfigError(`relay config: ICE_SERVERS is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(parsed))
    throw new ConfigError('relay config: ICE_SERVERS must be a JSON array of RTCIceServer objects');
  for (const [i, s] of parsed.entries()) {
    if (typeof s !== 'object' || s === null || !('urls' in s)) {
      throw new ConfigError(`relay config: ICE_SERVERS[${i}] must be an object with "urls"`);
    }
  }
  return parsed;
}

/** Reads the relay's environment variables; throws ConfigError naming the first bad one. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const logLevel = (env.LOG_LEVEL?.trim() || DEFAULT_CONFIG.logLevel) as LogLevel;
  if (!LEVELS.includes(logLevel))
    throw new ConfigError(
      `relay config: LOG_LEVEL must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`,
    );
  const rate = int(env, 'MAX_MESSAGES_PER_SECOND', DEFAULT_CONFIG.maxMessagesPerSecond, 1);
  return {
    port: int(env, 'PORT', DEFAULT_CONFIG.port, 0),
    host: env.HOST?.trim() || DEFAULT_CONFIG.host,
    staticDir: env.STATIC_DIR?.trim() || DEFAULT_CONFIG.staticDir,
    iceServers: iceServers(env.ICE_SERVERS),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', DEFAULT_CONFIG.maxMessageBytes, 256),
    maxRoomsPerSocket: int(env, 'MAX_ROOMS_PER_SOCKET', DEFAULT_CONFIG.maxRoomsPerSocket, 1),
    maxPeersPerRoom: int(env, 'MAX_PEERS_PER_ROOM', DEFAULT_CONFIG.maxPeersPerRoom, 2),
    maxMessagesPerSecond: rate,
    // The contract fixes the burst at twice the rate (50/s, burst 100); RATE_BURST overrides it.
    burst: int(env, 'RATE_BURST', rate * 2, 1),
    idleTimeoutMs: int(env, 'IDLE_TIMEOUT_MS', DEFAULT_CONFIG.idleTimeoutMs, 100),
    heartbeatMs: int(env, 'HEARTBEAT_MS', DEFAULT_CONFIG.heartbeatMs, 50),
    maxConnections: int(env, 'MAX_CONNECTIONS', DEFAULT_CONFIG.maxConnections, 1),
    maxBufferedBytes: int(env, 'MAX_BUFFERED_BYTES', DEFAULT_CONFIG.maxBufferedBytes, 65536),
    logLevel,
    stats: env.RELAY_STATS === '1',
  };
}

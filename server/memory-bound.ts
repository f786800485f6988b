/**
 * The relay's memory bound from its configuration (docs/relay.md "Memory bound"): what one
 * instance's resident memory stays under whatever clients do, as long as the configuration
 * holds. Each term is a cap the relay enforces; the constants were measured on node 20 (see the
 * doc for how):
 *
 *   RSS ≤ BASE (128 MiB)
 *       + MAX_CONNECTIONS × (PER_SOCKET + 2 × MAX_MESSAGE_BYTES)   every socket idle, or holding
 *                                                                  one partial frame and one read
 *       + MAX_BUFFERED_BYTES_TOTAL                                 output not yet written, all sockets
 *       + 1.5 × MAILBOX_MAX_TOTAL_BYTES    (in-memory mailbox only: base64 text + bookkeeping)
 *       + GC_SLACK                                                  garbage V8 has not collected yet
 */
import type { RelayConfig } from './config';

const MIB = 1024 * 1024;

export const MEMORY_CONSTANTS = {
  /** Node, tsx, the relay's code, ws, prom-client, ioredis, after start-up (measured 92 MiB). */
  baseBytes: 128 * MIB,
  /** An idle socket: ws + TCP handles + the relay's bookkeeping (measured 11–15 KiB of RSS). */
  perSocketBytes: 16 * 1024,
  /** Young-generation semispaces and old-generation garbage between collections. */
  gcSlackBytes: 128 * MIB,
} as const;

/** The bound, in bytes, for `cfg`. */
export function memoryBound(cfg: RelayConfig): number {
  const c = MEMORY_CONSTANTS;
  const perSocket = c.perSocketBytes + 2 * cfg.maxMessageBytes;
  const mailbox = cfg.redisUrl ? 0 : 1.5 * cfg.mailboxMaxTotalBytes;
  return c.baseBytes + cfg.maxConnections * perSocket + cfg.maxBufferedBytesTotal + mailbox + c.gcSlackBytes;
}

/**
 * Where rooms and mailboxes live (docs/relay.md "Several instances"): in this process (the
 * default), or in Redis when REDIS_URL is set, so that any number of instances behind a load
 * balancer serve one deployment with no sticky sessions.
 */
import { Redis } from 'ioredis';
import type { RelayConfig } from './config';
import type { Client } from './connections';
import { LocalHub, type Deliver, type Hub } from './hub';
import { RedisHub } from './hub-redis';
import type { Logger } from './log';
import { MemoryMailbox, type MailboxStore } from './mailbox-store';
import { RedisMailbox } from './mailbox-redis';

export interface Backend {
  hub: Hub<Client>;
  mailbox: MailboxStore;
  /** Resolves once the backend can serve (Redis connected, instance announced). */
  ready: Promise<void>;
  /** False while Redis is unreachable: /healthz then says 503 so a load balancer looks elsewhere. */
  healthy(): boolean;
  close(): Promise<void>;
}

export function createBackend(cfg: RelayConfig, log: Logger, deliver: Deliver<Client>): Backend {
  const limits = {
    maxBlobs: cfg.mailboxMaxBlobs,
    ttlMs: cfg.mailboxTtlS * 1000,
    maxTotalBytes: cfg.mailboxMaxTotalBytes,
  };
  if (!cfg.redisUrl) {
    const mailbox = new MemoryMailbox(limits);
    return {
      hub: new LocalHub<Client>(cfg.maxPeersPerRoom, cfg.maxRoomsPerSocket, deliver),
      mailbox,
      ready: Promise.resolve(),
      healthy: () => true,
      close: () => mailbox.close(),
    };
  }
  // Fail a command after a couple of reconnect attempts rather than queueing it for minutes:
  // the socket waiting for it is told to try again (1013) or gets `mailbox-unavailable`.
  const cmd = new Redis(cfg.redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 5000, lazyConnect: true });
  const sub = cmd.duplicate();
  for (const [name, conn] of [
    ['command', cmd],
    ['subscriber', sub],
  ] as const) {
    conn.on('error', (e: Error) => log.warn('redis connection error', { connection: name, error: e.message }));
  }
  const hub = new RedisHub<Client>(
    cmd,
    sub,
    { maxPeersPerRoom: cfg.maxPeersPerRoom, maxRoomsPerSocket: cfg.maxRoomsPerSocket, log },
    deliver,
  );
  const ready = (async () => {
    await Promise.all([cmd.connect(), sub.connect()]);
    await hub.start();
  })();
  return {
    hub,
    mailbox: new RedisMailbox(cmd, limits),
    ready,
    healthy: () => cmd.status === 'ready' && sub.status === 'ready',
    close: async () => {
      await hub.close();
      await Promise.allSettled([cmd.quit(), sub.quit()]);
    },
  };
}

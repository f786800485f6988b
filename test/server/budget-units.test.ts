/**
 * Global and per-address budgets (server/budget.ts, server/client-ip.ts; docs/relay.md
 * "Budgets"), and the environment variables that set them.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputBudget, OutputBudget, type Metered } from '../../server/budget';
import { IpTable, addressKey, clientAddress } from '../../server/client-ip';
import { ConfigError, DEFAULT_CONFIG, configFromEnv } from '../../server/config';
import { memoryBound } from '../../server/memory-bound';

const req = (remote: string, headers: Record<string, string> = {}): IncomingMessage =>
  ({ socket: { remoteAddress: remote }, headers }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('uses the socket address unless a trusted header is configured', () => {
    expect(clientAddress(req('203.0.113.7', { 'x-forwarded-for': '198.51.100.1' }), null, 1)).toBe('203.0.113.7');
    expect(clientAddress(req('::ffff:203.0.113.7'), null, 1)).toBe('203.0.113.7');
  });

  it('takes the entry the trusted proxies appended, never one the client wrote', () => {
    const h = 'x-forwarded-for';
    expect(clientAddress(req('10.0.0.1', { [h]: '198.51.100.1' }), h, 1)).toBe('198.51.100.1');
    // The client sent its own X-Forwarded-For: nginx appended the real address after it.
    expect(clientAddress(req('10.0.0.1', { [h]: '1.2.3.4, 198.51.100.1' }), h, 1)).toBe('198.51.100.1');
    // Two proxies (CDN, then nginx): the CDN's entry is second from the right.
    expect(clientAddress(req('10.0.0.1', { [h]: '1.2.3.4, 198.51.100.1, 10.0.0.9' }), h, 2)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.1', { 'x-real-ip': '[2001:db8::1]:443' }), 'x-real-ip', 1)).toBe('2001:db8::1');
  });

  it('falls back to the socket address when the header is missing or not an address', () => {
    const h = 'x-forwarded-for';
    expect(clientAddress(req('10.0.0.1'), h, 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', { [h]: 'unknown' }), h, 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', { [h]: '198.51.100.1, <script>' }), h, 1)).toBe('10.0.0.1');
  });
});

describe('addressKey', () => {
  it('keeps IPv4 and groups IPv6 by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
  });
});

describe('IpTable', () => {
  const limits = { maxConnectionsPerIp: 2, ipMessagesPerSecond: 10, ipBurst: 20, mailboxIpBytesPerMinute: 6000 };
  it('caps connections, messages and mailbox bytes per address, independently per address', () => {
    const t = new IpTable(limits);
    expect([t.admit('a', 0), t.admit('a', 0), t.admit('a', 0), t.admit('b', 0)]).toEqual([true, true, false, true]);
    t.release('a');
    expect(t.admit('a', 0)).toBe(true);
    let passed = 0;
    for (let i = 0; i < 100; i++) if (t.takeMessage('a', 0)) passed++;
    expect(passed).toBe(20);
    expect(t.takeMessage('b', 0)).toBe(true);
    expect(t.takeMessage('a', 100)).toBe(true); // 10/s refills one in 100 ms
    expect(t.takeMailbox('a', 4096, 0)).toBe(true);
    expect(t.takeMailbox('a', 4096, 0)).toBe(false);
    expect(t.takeMailbox('a', 4096, 30_000)).toBe(true); // 6000 bytes/min: 3000 back after 30 s
  });

  it('forgets an address only once it has no socket and its buckets are full again', () => {
    const t = new IpTable(limits);
    t.admit('a', 0);
    t.takeMailbox('a', 6000, 0);
    t.release('a');
    t.sweep(1000);
    expect(t.size).toBe(1); // its mailbox quota is still spent: forgetting would refill it
    t.sweep(61_000);
    expect(t.size).toBe(0);
  });
});

const meter = (): Metered & { paused: boolean } => ({
  inBytes: 0,
  inWindow: 0,
  outBytes: 0,
  outForgotten: false,
  paused: false,
});

describe('InputBudget', () => {
  afterEach(() => vi.useRealTimers());

  it('pauses heavy sockets when the shared budget runs dry, keeps light ones, and resumes as it refills', () => {
    vi.useFakeTimers();
    const budget = new InputBudget<ReturnType<typeof meter>>(
      100_000,
      10_000,
      1000,
      (c) => (c.paused = true),
      (c) => (c.paused = false),
      () => Date.now(),
    );
    const heavy = [meter(), meter(), meter()];
    const light = meter();
    for (let i = 0; i < 40; i++) for (const h of heavy) if (!h.paused) budget.charge(h, 1000);
    expect(heavy.every((h) => h.paused)).toBe(true);
    budget.charge(light, 500); // in debt, but this socket sent little: not paused
    expect(light.paused).toBe(false);
    expect(budget.pausedCount).toBe(3);
    vi.advanceTimersByTime(1000);
    expect(heavy.some((h) => !h.paused)).toBe(true);
    expect(budget.pausedCount).toBe(0);
    budget.close();
  });

  it('never pauses light sockets, however many there are', () => {
    vi.useFakeTimers();
    const budget = new InputBudget<ReturnType<typeof meter>>(
      10_000,
      100_000,
      1000,
      (c) => (c.paused = true),
      () => {},
    );
    const many = Array.from({ length: 300 }, meter);
    for (const c of many) budget.charge(c, 1000); // each light (1000 < 100 000), 300 000 in all
    expect(many.some((c) => c.paused)).toBe(false);
    budget.close();
  });
});

describe('OutputBudget', () => {
  it('drops the socket with the largest backlog when the total is over the cap, and never drifts', () => {
    const out = new OutputBudget<ReturnType<typeof meter>>(10_000);
    const a = meter();
    const b = meter();
    const dropped: unknown[] = [];
    const all = [a, b];
    const doneA = out.add(a, 6000, all, (v) => dropped.push(v));
    out.add(b, 3000, all, (v) => dropped.push(v));
    expect(dropped).toEqual([]);
    out.add(b, 2000, all, (v) => dropped.push(v));
    expect(dropped).toEqual([a]);
    expect(out.total).toBe(5000);
    doneA(); // a's write callback after it was dropped changes nothing
    expect(out.total).toBe(5000);
  });
});

describe('configFromEnv: budgets, Redis, mailbox, operations', () => {
  it('reads every new variable', () => {
    const c = configFromEnv({
      REDIS_URL: 'redis://127.0.0.1:6390/2',
      GLOBAL_BYTES_PER_SECOND: '1048576',
      LIGHT_SOCKET_BYTES_PER_SECOND: '4096',
      MAX_BUFFERED_BYTES_TOTAL: '8388608',
      MAX_CONNECTIONS_PER_IP: '16',
      IP_MESSAGES_PER_SECOND: '100',
      TRUST_PROXY_HEADER: 'X-Forwarded-For',
      TRUST_PROXY_HOPS: '2',
      MAILBOX_MAX_BLOBS: '64',
      MAILBOX_MAX_BYTES: '16384',
      MAILBOX_TTL_S: '86400',
      MAILBOX_MAX_TOTAL_BYTES: '1000000',
      MAILBOX_IP_BYTES_PER_MINUTE: '65536',
      METRICS: 'off',
      SHUTDOWN_DRAIN_MS: '3000',
    });
    expect(c).toEqual({
      ...DEFAULT_CONFIG,
      redisUrl: 'redis://127.0.0.1:6390/2',
      globalBytesPerSecond: 1048576,
      lightSocketBytesPerSecond: 4096,
      maxBufferedBytesTotal: 8388608,
      maxConnectionsPerIp: 16,
      ipMessagesPerSecond: 100,
      ipBurst: 200,
      trustProxyHeader: 'x-forwarded-for',
      trustProxyHops: 2,
      mailboxMaxBlobs: 64,
      mailboxMaxBytes: 16384,
      mailboxTtlS: 86400,
      mailboxMaxTotalBytes: 1000000,
      mailboxIpBytesPerMinute: 65536,
      metrics: false,
      shutdownDrainMs: 3000,
    });
  });

  it('names the bad variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ REDIS_URL: 'http://x' }, /REDIS_URL must start with redis/],
      [{ REDIS_URL: 'not a url' }, /REDIS_URL is not a URL/],
      [{ TRUST_PROXY_HEADER: 'x forwarded' }, /TRUST_PROXY_HEADER/],
      [{ TRUST_PROXY_HOPS: '0' }, /TRUST_PROXY_HOPS/],
      [{ MAILBOX_MAX_BYTES: '65536' }, /MAILBOX_MAX_BYTES must be an integer in 1024..32768/],
      [{ MAILBOX_TTL_S: '10' }, /MAILBOX_TTL_S/],
      [{ GLOBAL_BYTES_PER_SECOND: '10' }, /GLOBAL_BYTES_PER_SECOND/],
      [{ METRICS: 'maybe' }, /METRICS must be one of on, off/],
    ];
    for (const [env, msg] of bad) {
      expect(() => configFromEnv(env)).toThrow(ConfigError);
      expect(() => configFromEnv(env)).toThrow(msg);
    }
  });
});

describe('memoryBound', () => {
  it('is the formula of docs/relay.md "Memory bound", term by term', () => {
    const MIB = 1024 * 1024;
    const perSocket = 16 * 1024 + 2 * 65536;
    expect(memoryBound(DEFAULT_CONFIG)).toBe(128 * MIB + 10_000 * perSocket + 64 * MIB + 1.5 * 128 * MIB + 128 * MIB);
    expect(Math.round(memoryBound(DEFAULT_CONFIG) / MIB)).toBe(1918); // "≈ 1.9 GiB"
    expect(Math.round(memoryBound({ ...DEFAULT_CONFIG, maxConnections: 2000 }) / MIB)).toBe(793);
    // With Redis the mailbox lives there: its term goes.
    expect(memoryBound({ ...DEFAULT_CONFIG, redisUrl: 'redis://x' })).toBe(memoryBound(DEFAULT_CONFIG) - 192 * MIB);
  });
});

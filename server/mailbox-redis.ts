/**
 * The mailbox in Redis (docs/relay.md "Mailbox", "Several instances"): every instance of a
 * deployment reads and writes the same blobs, with the same caps. Each operation is one Lua
 * script, so the caps hold under concurrent puts from any number of instances, and time is
 * Redis's clock (`TIME`), not each instance's.
 *
 * Keys (prefix `parley:` by default), per address A:
 *   mbx:{A}:d  hash   id → base64url blob
 *   mbx:{A}:x  zset   id scored by its expiry (ms); the blobs of an address expire in this order
 *   mbx:{A}:n  string the address's last id (kept one TTL after the last put, so ids never restart
 *                     while a fetcher may still page with `after`)
 * and deployment-wide `mbx:bucket:<i>` hashes {bytes, blobs} of the blobs expiring in time slot
 * i (slots of max(60 s, TTL/128)). A slot key expires at the end of its slot, so the total —
 * the sum over live slots — drops by itself as blobs expire; an ack decrements its blob's slot.
 * A blob therefore counts up to one slot past its expiry (the cap errs on the safe side).
 * The scripts touch slot keys they do not declare: a single Redis (or a primary with replicas),
 * not Redis Cluster.
 */
import type { Redis } from 'ioredis';
import type { FetchResult, MailboxLimits, MailboxStats, MailboxStore, PutResult } from './mailbox-store';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
/** Deletes the address's expired blobs (their slots expire by themselves). KEYS[1] = d, KEYS[2] = x. */
const PRUNE = `local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #old, 1000 do
  redis.call('HDEL', KEYS[1], unpack(old, i, math.min(i + 999, #old)))
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end`;

/** ARGV: data, size, ttlMs, maxBlobs, maxTotalBytes, slotMs, slotPrefix. KEYS: d, x, n. */
const PUT = `${NOW}
${PRUNE}
local size, ttl, slot = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return {'mailbox-full'} end
local total = 0
for s = math.floor(now / slot), math.floor((now + ttl) / slot) do
  total = total + (tonumber(redis.call('HGET', ARGV[7] .. s, 'bytes')) or 0)
end
if total + size > tonumber(ARGV[5]) then return {'mailbox-storage-full'} end
local id = redis.call('INCR', KEYS[3])
local exp = now + ttl
redis.call('HSET', KEYS[1], id, ARGV[1])
redis.call('ZADD', KEYS[2], exp, id)
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
local s = math.floor(exp / slot)
redis.call('HINCRBY', ARGV[7] .. s, 'bytes', size)
redis.call('HINCRBY', ARGV[7] .. s, 'blobs', 1)
redis.call('PEXPIREAT', ARGV[7] .. s, (s + 1) * slot)
return {'ok', tostring(id)}`;

/** ARGV: after (0 = all), maxChars. KEYS: d, x. Returns {more, id1, data1, id2, data2, …}. */
const FETCH = `${NOW}
${PRUNE}
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
table.sort(ids, function(a, b) return tonumber(a) < tonumber(b) end)
local after, budget = tonumber(ARGV[1]), tonumber(ARGV[2])
local out, chars, more = {0}, 0, 0
for _, id in ipairs(ids) do
  if tonumber(id) > after then
    local data = redis.call('HGET', KEYS[1], id)
    if data then
      if #out > 1 and chars + #data > budget then out[1] = 1 break end
      out[#out + 1] = id
      out[#out + 1] = data
      chars = chars + #data
    end
  end
end
return out`;

/** ARGV: slotMs, slotPrefix, id… KEYS: d, x. Returns how many blobs existed. */
const ACK = `local slot, deleted = tonumber(ARGV[1]), 0
for i = 3, #ARGV do
  local exp = redis.call('ZSCORE', KEYS[2], ARGV[i])
  local data = redis.call('HGET', KEYS[1], ARGV[i])
  if exp and data then
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('ZREM', KEYS[2], ARGV[i])
    deleted = deleted + 1
    local key = ARGV[2] .. math.floor(tonumber(exp) / slot)
    if redis.call('EXISTS', key) == 1 then
      redis.call('HINCRBY', key, 'bytes', -math.floor(#data * 3 / 4))
      redis.call('HINCRBY', key, 'blobs', -1)
    end
  end
end
return deleted`;

/** ARGV: ttlMs, slotMs, slotPrefix. Returns {blobs, bytes} over the live slots. */
const STATS = `${NOW}
local ttl, slot = tonumber(ARGV[1]), tonumber(ARGV[2])
local blobs, bytes = 0, 0
for s = math.floor(now / slot), math.floor((now + ttl) / slot) do
  local v = redis.call('HMGET', ARGV[3] .. s, 'blobs', 'bytes')
  blobs = blobs + (tonumber(v[1]) or 0)
  bytes = bytes + (tonumber(v[2]) or 0)
end
return {blobs, bytes}`;

type Script = (...args: (string | number)[]) => Promise<unknown>;
interface MailboxCommands {
  parleyMbxPut: Script;
  parleyMbxFetch: Script;
  parleyMbxAck: Script;
  parleyMbxStats: Script;
}

/** Mailbox in Redis. `redis` is a command connection the caller owns (it is not closed here). */
export class RedisMailbox implements MailboxStore {
  readonly #cmd: MailboxCommands;
  readonly #slotMs: number;
  readonly #slotPrefix: string;

  constructor(
    redis: Redis,
    private readonly limits: MailboxLimits,
    private readonly prefix = 'parley:',
  ) {
    redis.defineCommand('parleyMbxPut', { numberOfKeys: 3, lua: PUT });
    redis.defineCommand('parleyMbxFetch', { numberOfKeys: 2, lua: FETCH });
    redis.defineCommand('parleyMbxAck', { numberOfKeys: 2, lua: ACK });
    redis.defineCommand('parleyMbxStats', { numberOfKeys: 0, lua: STATS });
    this.#cmd = redis as unknown as MailboxCommands;
    this.#slotMs = Math.max(60_000, Math.ceil(limits.ttlMs / 128));
    this.#slotPrefix = `${prefix}mbx:bucket:`;
  }

  #keys(address: string, n = 2): string[] {
    const base = `${this.prefix}mbx:{${address}}:`;
    return [`${base}d`, `${base}x`, `${base}n`].slice(0, n);
  }

  async put(address: string, data: string, size: number): Promise<PutResult> {
    const { ttlMs, maxBlobs, maxTotalBytes } = this.limits;
    const args = [data, size, ttlMs, maxBlobs, maxTotalBytes, this.#slotMs, this.#slotPrefix];
    const r = (await this.#cmd.parleyMbxPut(...this.#keys(address, 3), ...args)) as string[];
    if (r[0] === 'ok') return { ok: true, id: String(r[1]) };
    if (r[0] === 'mailbox-full' || r[0] === 'mailbox-storage-full') return { ok: false, code: r[0] };
    throw new Error(`mailbox put script answered ${JSON.stringify(r).slice(0, 80)}`);
  }

  async fetch(address: string, after: string | null, maxChars: number): Promise<FetchResult> {
    const r = (await this.#cmd.parleyMbxFetch(...this.#keys(address), after ?? '0', maxChars)) as (string | number)[];
    const blobs = [];
    for (let i = 1; i + 1 < r.length; i += 2) blobs.push({ id: String(r[i]), data: String(r[i + 1]) });
    return { blobs, more: r[0] === 1 };
  }

  async ack(address: string, ids: string[]): Promise<number> {
    return Number(await this.#cmd.parleyMbxAck(...this.#keys(address), this.#slotMs, this.#slotPrefix, ...ids));
  }

  async stats(): Promise<MailboxStats> {
    const r = (await this.#cmd.parleyMbxStats(this.limits.ttlMs, this.#slotMs, this.#slotPrefix)) as number[];
    return { blobs: Number(r[0]), bytes: Number(r[1]) };
  }

  async close(): Promise<void> {}
}

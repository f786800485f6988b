/**
 * Rooms shared by every relay instance of a deployment through Redis (docs/relay.md "Several
 * instances"). Each instance delivers to its own sockets directly and through one Redis pub/sub
 * channel per room it has members in; membership lives in one Redis set per room, so
 * MAX_PEERS_PER_ROOM and the `peers` count of `subscribed` hold across instances.
 *
 * Join order, which keeps "peer joined" meaningful (an offer sent after it is never lost): the
 * joining instance first subscribes to the room's channel, then runs the join script — which
 * adds the member and publishes the join in one step — then answers `subscribed`; frames that
 * reach the channel meanwhile are held for the joiner and handed over right after.
 *
 * Members are `<instance>:<socket>`; an instance keeps `inst:<instance>` alive (TTL 15 s, renewed
 * every 5 s), and the join script drops members of instances whose key is gone, so a crashed
 * instance's sockets stop counting within 15 s (their rooms get no `peer-left` for them).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from './log';
import { encode } from './protocol';
import { LocalHub, type Deliver, type Hub, type HubMember, type JoinOutcome } from './hub';
import { RedisChannels } from './redis-channels';

const INSTANCE_TTL_MS = 15_000;
const ROOM_KEY_TTL_MS = 24 * 3600 * 1000;
/** Frames held for one socket while its join completes (it takes one Redis round trip). */
const MAX_HELD = 256;

/** ARGV: member, maxPeers, channel, joinFrame, instancePrefix, roomTtlMs. KEYS: room set. */
const JOIN = `local count, alive = 0, {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local inst = string.match(m, '^([^:]+):')
  if alive[inst] == nil then alive[inst] = redis.call('EXISTS', ARGV[5] .. inst) == 1 end
  if alive[inst] then count = count + 1 else redis.call('SREM', KEYS[1], m) end
end
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return {'already', count - 1} end
if count >= tonumber(ARGV[2]) then return {'room-full', count} end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return {'joined', count}`;

/** ARGV: member, channel, leaveFrame. KEYS: room set. */
const LEAVE = `if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0`;

interface HubCommands {
  parleyJoin(key: string, ...args: (string | number)[]): Promise<[string, number]>;
  parleyLeave(key: string, ...args: string[]): Promise<number>;
}

export interface RedisHubOptions {
  maxPeersPerRoom: number;
  maxRoomsPerSocket: number;
  prefix?: string;
  log: Logger;
}

export class RedisHub<M extends HubMember> implements Hub<M> {
  readonly instance = randomBytes(8).toString('hex');
  readonly #local: LocalHub<M>;
  readonly #cmd: Redis & HubCommands;
  readonly #channels: RedisChannels;
  readonly #prefix: string;
  /** Joins in flight: room → member → frames that reached the channel meanwhile. */
  readonly #held = new Map<string, Map<M, (string | Buffer)[]>>();
  #alive: ReturnType<typeof setInterval> | null = null;
  /** Leaves not yet confirmed by Redis; close() waits for them. */
  readonly #leaving = new Set<Promise<unknown>>();

  constructor(
    cmd: Redis,
    sub: Redis,
    private readonly o: RedisHubOptions,
    private readonly deliver: Deliver<M>,
  ) {
    this.#prefix = o.prefix ?? 'parley:';
    // Room size is checked in Redis; locally only the per-socket room cap applies.
    this.#local = new LocalHub<M>(Number.MAX_SAFE_INTEGER, o.maxRoomsPerSocket, deliver);
    cmd.defineCommand('parleyJoin', { numberOfKeys: 1, lua: JOIN });
    cmd.defineCommand('parleyLeave', { numberOfKeys: 1, lua: LEAVE });
    this.#cmd = cmd as Redis & HubCommands;
    this.#channels = new RedisChannels(sub, `${this.#prefix}room:`, (room, msg) => this.#onChannel(room, msg));
  }

  /** Announces this instance; call before serving. */
  async start(): Promise<void> {
    await this.#heartbeat();
    this.#alive = setInterval(() => {
      this.#heartbeat().catch((e: Error) => this.o.log.warn('redis heartbeat failed', { error: e.message }));
    }, INSTANCE_TTL_MS / 3);
    this.#alive.unref();
  }

  get roomCount(): number {
    return this.#local.roomCount;
  }

  #member(m: M): string {
    return `${this.instance}:${m.id}`;
  }

  async join(room: string, member: M): Promise<JoinOutcome> {
    const rooms = this.#local.rooms;
    const already = rooms.isIn(room, member);
    if (!already && rooms.roomsOf(member) >= this.o.maxRoomsPerSocket) return 'too-many-rooms';
    if (!already) await this.#channels.acquire(room);
    const held = this.#hold(room, member);
    let result: string, count: number;
    try {
      const frame = `j|${this.instance}|${member.id}`;
      const args = [this.#member(member), this.o.maxPeersPerRoom, this.#channels.name(room), frame];
      [result, count] = await this.#cmd.parleyJoin(this.#key(room), ...args, `${this.#prefix}inst:`, ROOM_KEY_TTL_MS);
    } catch (e) {
      if (!already) this.#channels.release(room);
      throw e;
    } finally {
      this.#unhold(room, member);
    }
    if (result === 'room-full') {
      if (!already) this.#channels.release(room);
      this.deliver(member, encode.error('room-full', `room already has ${this.o.maxPeersPerRoom} peers`, room), false);
      return 'refused';
    }
    if (member.gone) {
      // Closed while joining: drop() has run already, so undo the join here.
      if (!already) void this.#leaveRemote(room, member);
      return 'refused';
    }
    if (!already) rooms.join(room, member);
    const others = rooms.others(room, member);
    this.deliver(member, encode.subscribed(room, count), false);
    for (const f of held) this.deliver(member, f, true);
    if (result !== 'joined') return 'already';
    this.#local.toAll(others, encode.peerJoined(room));
    return 'joined';
  }

  leave(room: string, member: M): boolean {
    if (!this.#local.leave(room, member)) return false;
    void this.#leaveRemote(room, member);
    return true;
  }

  leaveAll(member: M, quiet = false): string[] {
    const rooms = this.#local.leaveAll(member, quiet);
    for (const room of rooms) void this.#leaveRemote(room, member);
    return rooms;
  }

  isIn(room: string, member: M): boolean {
    return this.#local.isIn(room, member);
  }

  publish(room: string, member: M, frame: Buffer): void {
    this.#local.publish(room, member, frame);
    this.#cmd.publish(this.#channels.name(room), `m|${this.instance}|${member.id}|${frame.toString()}`).catch(() => {});
  }

  /** Leaves every room of every local member and retires this instance. */
  async close(): Promise<void> {
    if (this.#alive) clearInterval(this.#alive);
    for (const [room, members] of [...this.#local.rooms.entries()]) {
      for (const m of [...members]) {
        this.#local.rooms.leave(room, m);
        void this.#leaveRemote(room, m);
      }
    }
    await Promise.allSettled([...this.#leaving]);
    await this.#cmd.del(`${this.#prefix}inst:${this.instance}`).catch(() => {});
  }

  #key(room: string): string {
    return `${this.#prefix}members:${room}`;
  }

  /** Tells Redis (and so the other instances) that `member` left; releases our channel reference. */
  #leaveRemote(room: string, member: M): Promise<unknown> {
    this.#channels.release(room);
    const frame = `l|${this.instance}|${member.id}`;
    const p = this.#cmd
      .parleyLeave(this.#key(room), this.#member(member), this.#channels.name(room), frame)
      .catch((e: Error) => this.o.log.warn('redis leave failed', { error: e.message }))
      .finally(() => this.#leaving.delete(p));
    this.#leaving.add(p);
    return p;
  }

  #hold(room: string, member: M): (string | Buffer)[] {
    let byMember = this.#held.get(room);
    if (!byMember) this.#held.set(room, (byMember = new Map()));
    const frames: (string | Buffer)[] = [];
    byMember.set(member, frames);
    return frames;
  }

  #unhold(room: string, member: M): void {
    const byMember = this.#held.get(room);
    byMember?.delete(member);
    if (byMember?.size === 0) this.#held.delete(room);
  }

  /** A frame from the room's channel: `m|inst|sock|frame`, `j|inst|sock` or `l|inst|sock`. */
  #onChannel(room: string, msg: string): void {
    const kind = msg[0];
    const instEnd = msg.indexOf('|', 2);
    if (instEnd < 0 || msg.slice(2, instEnd) === this.instance) return; // our own: delivered locally
    let frame: string;
    if (kind === 'm') frame = msg.slice(msg.indexOf('|', instEnd + 1) + 1);
    else if (kind === 'j') frame = encode.peerJoined(room);
    else if (kind === 'l') frame = encode.peerLeft(room);
    else return;
    this.#local.toAll(this.#local.rooms.members(room), frame, kind === 'm');
    for (const frames of this.#held.get(room)?.values() ?? []) if (frames.length < MAX_HELD) frames.push(frame);
  }

  async #heartbeat(): Promise<void> {
    const key = `${this.#prefix}inst:${this.instance}`;
    const was = await this.#cmd.set(key, '1', 'PX', INSTANCE_TTL_MS, 'GET');
    if (was !== null || !this.#alive) return;
    // Our key had expired (Redis was unreachable for a while): others may have dropped our
    // members, so put them back.
    this.o.log.warn('redis: instance key had expired; re-announcing memberships');
    for (const [room, members] of this.#local.rooms.entries())
      for (const m of members) await this.#cmd.sadd(this.#key(room), this.#member(m));
  }
}

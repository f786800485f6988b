/**
 * Room fan-out (docs/relay.md "Protocol", "Several instances"): who is in which room and who gets
 * a publish, `subscribed`, `peer-joined` and `peer-left`. Two implementations behind one
 * interface: `LocalHub` (one process, synchronous, the default) and `RedisHub` (hub-redis.ts:
 * rooms shared by every instance through Redis).
 */
import { encode } from './protocol';
import { Rooms } from './rooms';

/** A local socket as the hub sees it. */
export interface HubMember {
  /** Opaque per-process id (`s1`, `s2`, …). */
  readonly id: string;
  /** Set once the socket is being closed: it gets nothing more. */
  readonly gone: boolean;
}

/** How the hub hands a frame to a local socket; `relayed` marks a forwarded `message`. */
export type Deliver<M> = (member: M, frame: string | Buffer, relayed: boolean) => void;

/**
 * What came of a subscribe: `joined` (new member), `already` (a repeated subscribe) and `refused`
 * (room full) were answered by the hub; `too-many-rooms` is the caller's to act on.
 */
export type JoinOutcome = 'joined' | 'already' | 'refused' | 'too-many-rooms';

export interface Hub<M extends HubMember> {
  /**
   * Joins `member` to `room` and answers it: `subscribed` (the others get `peer-joined`), or a
   * `room-full` error. Resolves `too-many-rooms` instead when the member is at its room cap.
   * May be asynchronous (Redis); the caller handles a socket's frames one at a time meanwhile.
   */
  join(room: string, member: M): JoinOutcome | Promise<JoinOutcome>;
  /** Leaves one room; the others get `peer-left`. False when the member was not in it. */
  leave(room: string, member: M): boolean;
  /** Leaves every room (returned); the others get `peer-left` unless `quiet` (the relay is closing). */
  leaveAll(member: M, quiet?: boolean): string[];
  isIn(room: string, member: M): boolean;
  /** Forwards a ready `message` frame (carrying `data`) to the room's other members, everywhere. */
  publish(room: string, member: M, frame: Buffer): void;
  /** Rooms with at least one member on this instance. */
  readonly roomCount: number;
  close(): Promise<void>;
}

/** The in-process hub: rooms live in this process only. */
export class LocalHub<M extends HubMember> implements Hub<M> {
  readonly rooms: Rooms<M>;

  constructor(
    private readonly maxPeersPerRoom: number,
    maxRoomsPerSocket: number,
    private readonly deliver: Deliver<M>,
  ) {
    this.rooms = new Rooms<M>(maxPeersPerRoom, maxRoomsPerSocket);
  }

  get roomCount(): number {
    return this.rooms.roomCount;
  }

  join(room: string, member: M): JoinOutcome {
    const r = this.rooms.join(room, member);
    if (r === 'too-many-rooms') return r;
    if (r === 'room-full') {
      this.deliver(member, encode.error('room-full', `room already has ${this.maxPeersPerRoom} peers`, room), false);
      return 'refused';
    }
    const others = this.rooms.others(room, member);
    this.deliver(member, encode.subscribed(room, others.length), false);
    if (r === 'joined') this.toAll(others, encode.peerJoined(room));
    return r;
  }

  leave(room: string, member: M): boolean {
    if (!this.rooms.leave(room, member)) return false;
    this.toAll(this.rooms.others(room, member), encode.peerLeft(room));
    return true;
  }

  leaveAll(member: M, quiet = false): string[] {
    const rooms = this.rooms.leaveAll(member);
    if (!quiet) for (const room of rooms) this.toAll(this.rooms.others(room, member), encode.peerLeft(room));
    return rooms;
  }

  isIn(room: string, member: M): boolean {
    return this.rooms.isIn(room, member);
  }

  publish(room: string, member: M, frame: Buffer): void {
    for (const o of this.rooms.others(room, member)) this.deliver(o, frame, true);
  }

  /** Sends `frame` to every member in `members` that is still there. */
  toAll(members: Iterable<M>, frame: string | Buffer, relayed = false): void {
    for (const m of members) if (!m.gone) this.deliver(m, frame, relayed);
  }

  async close(): Promise<void> {}
}

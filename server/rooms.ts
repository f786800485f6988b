/**
 * Room membership: which sockets are in which room, both ways, with the per-room and
 * per-socket caps. Rooms exist only while someone is in them.
 */

export type JoinResult = 'joined' | 'already' | 'room-full' | 'too-many-rooms';

export class Rooms<M> {
  private readonly byRoom = new Map<string, Set<M>>();
  private readonly joined = new Map<M, Set<string>>();

  constructor(
    private readonly maxPeersPerRoom: number,
    private readonly maxRoomsPerSocket: number,
  ) {}

  get roomCount(): number {
    return this.byRoom.size;
  }

  join(room: string, member: M): JoinResult {
    let mine = this.joined.get(member);
    if (mine?.has(room)) return 'already';
    if ((mine?.size ?? 0) >= this.maxRoomsPerSocket) return 'too-many-rooms';
    let set = this.byRoom.get(room);
    if ((set?.size ?? 0) >= this.maxPeersPerRoom) return 'room-full';
    if (!set) this.byRoom.set(room, (set = new Set()));
    set.add(member);
    if (!mine) this.joined.set(member, (mine = new Set()));
    mine.add(room);
    return 'joined';
  }

  /** Returns false when the member was not in the room. */
  leave(room: string, member: M): boolean {
    const set = this.byRoom.get(room);
    if (!set?.delete(member)) return false;
    if (set.size === 0) this.byRoom.delete(room);
    const mine = this.joined.get(member);
    mine?.delete(room);
    if (mine?.size === 0) this.joined.delete(member);
    return true;
  }

  /** Removes the member from every room; returns the rooms it was in. */
  leaveAll(member: M): string[] {
    const rooms = [...(this.joined.get(member) ?? [])];
    for (const room of rooms) this.leave(room, member);
    return rooms;
  }

  /** How many rooms the member is in. */
  roomsOf(member: M): number {
    return this.joined.get(member)?.size ?? 0;
  }

  /** Every member of the room (empty when nobody is in it). */
  members(room: string): Iterable<M> {
    return this.byRoom.get(room) ?? [];
  }

  /** Each room with its members. */
  entries(): IterableIterator<[string, Set<M>]> {
    return this.byRoom.entries();
  }

  isIn(room: string, member: M): boolean {
    return this.byRoom.get(room)?.has(member) ?? false;
  }

  /** Everyone in the room except `member`. */
  others(room: string, member: M): M[] {
    const set = this.byRoom.get(room);
    if (!set) return [];
    const out: M[] = [];
    for (const m of set) if (m !== member) out.push(m);
    return out;
  }
}

/**
 * Group messages in order: per-sender sequence numbers, Lamport clocks, and the one total order
 * every member shows once all messages are in (DESIGN.md "Groups"; docs/groups.md §6).
 *
 * Each member keeps a clock `lamport`: sending counts it up and stamps the message with it;
 * receiving a message or a list raises it to the stamp if higher. Every member sorts by
 * `(lamport, sender key, epoch, seq)`, a total order on distinct messages that does not depend on
 * arrival, and respects causality: a message sent after another was seen has a higher stamp.
 * `seq` counts a sender's messages within its `epoch` (8 random bytes per sender state, like an
 * outbox stream), starting at 1 with the sender's `hello`, so a missing message shows as a gap.
 *
 * Group messages carry no signature: the pairwise ratchet they arrive on authenticates the
 * sender, and the receiver checks the stamped sender is that peer. Deniable, like chat; a member
 * cannot prove to a third what another wrote, and cannot pass on another's message.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { failure, type Failure } from './errors';
import { findMember, type SignedList } from './group';
import { decodeGroup, encodeGroup, MAX_U48, type GroupMessageOf, type GroupStamp } from './group-wire';
import { compareBytes, randomBytesFrom, type RandomSource } from './identity';

/** Largest step a received stamp may take this member's clock forward (docs/groups.md §6.2). */
export const MAX_LAMPORT_JUMP = 2 ** 24;
/** Most seen-ranges kept per sender epoch; past that, a message opening a new hole is refused (docs/groups.md §6.3). */
export const MAX_SEEN_RANGES = 64;
/** Most sender epochs tracked per group; the least recently heard is forgotten first (docs/groups.md §6.3). */
export const MAX_TRACKED_EPOCHS = 200;

/** A group message that takes a place in the timeline. */
export type OrderedGroupMessage = GroupMessageOf<'text' | 'hello' | 'file-offer'>;
/** One member's ordering state for one group: plain JSON, never mutated (docs/groups.md §6). */
export interface GroupTimeline {
  version: 1;
  /** The member's Lamport clock: the highest stamp sent or seen. */
  lamport: number;
  /** This member's own sending epoch (hex) and the seq its next message gets. */
  epoch: string;
  nextSeq: number;
  /** Per sender epoch: which seqs were seen, as disjoint ascending ranges. */
  senders: { sender: string; epoch: string; seen: [number, number][]; heard: number }[];
}
/** Why a received group message was refused (docs/groups.md §6.2). */
export type GroupMessageErrorCode =
  | 'GROUP_MSG_MALFORMED'
  | 'GROUP_MSG_WRONG_GROUP'
  | 'GROUP_MSG_REMOVED'
  | 'GROUP_MSG_WRONG_SENDER'
  | 'GROUP_MSG_NOT_MEMBER'
  | 'GROUP_MSG_CLOCK_JUMP'
  | 'GROUP_MSG_TOO_FAR';
/** Result of {@link receiveGroupMessage}. */
export type ReceiveGroupResult =
  | {
      ok: true;
      message: OrderedGroupMessage;
      timeline: GroupTimeline;
      /** Already seen (same sender, epoch and seq): store nothing, show nothing. */
      duplicate: boolean;
      /** Holes in this sender epoch's seqs, as inclusive ranges: messages the app may wait for or ask about. */
      missing: [number, number][];
    }
  | (Failure<GroupMessageErrorCode> & { waitForList?: boolean });

/** A new timeline with a fresh epoch; the clock starts at the held list's stamp (docs/groups.md §6.1). */
export function startTimeline(random: RandomSource, held?: SignedList): GroupTimeline {
  return {
    version: 1,
    lamport: held?.list.lamport ?? 0,
    epoch: bytesToHex(randomBytesFrom(random, 8)),
    nextSeq: 1,
    senders: [],
  };
}

/** The timeline after accepting a list: the clock is raised to the list's stamp (docs/groups.md §6.1). */
export function observeList(t: GroupTimeline, held: SignedList): GroupTimeline {
  return held.list.lamport > t.lamport ? { ...t, lamport: held.list.lamport } : t;
}

/**
 * Counts an event of the admin's own that is not a message, i.e. a list it is about to sign: the
 * stamp to give `nextList` / `decideVouch` as `lamport`, and the timeline after it (docs/groups.md §6.1).
 */
export function tickClock(t: GroupTimeline): { lamport: number; timeline: GroupTimeline } {
  if (t.lamport >= MAX_U48) throw new RangeError("timeline: the group's clock ran out");
  return { lamport: t.lamport + 1, timeline: { ...t, lamport: t.lamport + 1 } };
}

/**
 * Where a list change shows in the timeline (docs/groups.md §6.1): at the list's stamp, as if the
 * admin had sent it with epoch 0 and seq 0, so every member places the notice the same way.
 */
export function listNoticeStamp(held: SignedList): GroupStamp {
  const l = held.list;
  return { sender: l.admin, epoch: new Uint8Array(8), generation: l.generation, seq: 0, lamport: l.lamport, sentAt: 0 };
}

/**
 * Stamps this member's next message (docs/groups.md §6.1): clock + 1, the next seq of its epoch.
 * The first message of an epoch is its `hello` and only that: `kind` must say which is being
 * sent. Throws when the clock or the sequence is exhausted (2^48 − 1): the group cannot go on.
 */
export function nextStamp(
  t: GroupTimeline,
  me: Uint8Array,
  held: SignedList,
  kind: 'hello' | 'other',
  now: number,
): { stamp: GroupStamp; timeline: GroupTimeline } {
  if (!findMember(held.list, me)) throw new TypeError('me: not on the held list (removed members send nothing)');
  if ((kind === 'hello') !== (t.nextSeq === 1))
    throw new RangeError('kind: the hello is exactly the first message of an epoch');
  if (t.lamport >= MAX_U48 || t.nextSeq >= MAX_U48) throw new RangeError("timeline: the group's clock ran out");
  if (!Number.isSafeInteger(now) || now < 0 || now > MAX_U48) throw new TypeError('now: expected a time in ms');
  const lamport = t.lamport + 1;
  const stamp: GroupStamp = {
    sender: Uint8Array.from(me),
    epoch: hexBytes(t.epoch),
    generation: held.list.generation,
    seq: t.nextSeq,
    lamport,
    sentAt: now,
  };
  return { stamp, timeline: { ...t, lamport, nextSeq: t.nextSeq + 1 } };
}

/** What a member writes to the group: a text, its hello, or a file offer (docs/groups.md §6, §7). */
export type GroupBody =
  | { type: 'text'; text: string }
  | { type: 'hello'; name: string }
  | { type: 'file-offer'; offerId: Uint8Array; files: GroupMessageOf<'file-offer'>['files'] };

/**
 * This member's next timeline message, stamped and encoded, and the timeline after it
 * (docs/groups.md §6.1). Store the timeline with the message before sending the bytes to any
 * member. Throws on a body the codec cannot carry (e.g. a text over `MAX_GROUP_TEXT_BYTES`).
 */
export function composeGroupMessage(
  t: GroupTimeline,
  o: { me: Uint8Array; held: SignedList; body: GroupBody; now: number },
): { message: OrderedGroupMessage; bytes: Uint8Array; timeline: GroupTimeline } {
  const { stamp, timeline } = nextStamp(t, o.me, o.held, o.body?.type === 'hello' ? 'hello' : 'other', o.now);
  const message = { ...o.body, group: o.held.list.group, ...stamp } as OrderedGroupMessage;
  return { message, bytes: encodeGroup(message), timeline };
}

/**
 * Judges a group message that arrived over the pairwise session with `from` (docs/groups.md §6.2):
 * it decodes as text, hello or file offer; same group; this member is still on the list; the
 * stamped sender is `from`; the sender is on the list (if not and the message names a newer list
 * generation, `waitForList`: keep it unreceipted and fetch the list); its stamp is at most
 * 2^24 ahead of this clock. Then the clock and the sender's seen seqs advance.
 */
export function receiveGroupMessage(
  t: GroupTimeline,
  o: { held: SignedList; me: Uint8Array; bytes: Uint8Array; from: Uint8Array },
): ReceiveGroupResult {
  const d = decodeGroup(o.bytes);
  if (!d.ok) return bad('GROUP_MSG_MALFORMED', 'decode', d.message);
  const m = d.message;
  if (m.type !== 'text' && m.type !== 'hello' && m.type !== 'file-offer')
    return bad('GROUP_MSG_MALFORMED', 'type', `a ${m.type} is not a timeline message`);
  const list = o.held.list;
  if (compareBytes(m.group, list.group) !== 0)
    return bad('GROUP_MSG_WRONG_GROUP', 'id', 'the message names another group');
  if (!findMember(list, o.me)) return bad('GROUP_MSG_REMOVED', 'member', 'this device is no longer a member: ignored');
  if (compareBytes(m.sender, o.from) !== 0)
    return bad('GROUP_MSG_WRONG_SENDER', 'sender', 'the message claims another sender than the peer it came from');
  if (!findMember(list, m.sender))
    return {
      ...bad('GROUP_MSG_NOT_MEMBER', 'sender', 'the sender is not on the held list'),
      waitForList: m.generation > list.generation,
    };
  if (m.lamport > t.lamport + MAX_LAMPORT_JUMP)
    return bad(
      'GROUP_MSG_CLOCK_JUMP',
      'lamport',
      `the stamp jumps over ${MAX_LAMPORT_JUMP} ahead: a broken or hostile sender`,
    );
  return track(t, m);
}

function track(t: GroupTimeline, m: OrderedGroupMessage): ReceiveGroupResult {
  const sender = bytesToHex(m.sender);
  const epoch = bytesToHex(m.epoch);
  const old = t.senders.find((s) => s.sender === sender && s.epoch === epoch);
  const seen = old?.seen ?? [];
  const duplicate = seen.some(([a, b]) => m.seq >= a && m.seq <= b);
  const next = duplicate ? seen : insertSeq(seen, m.seq);
  if (next.length > MAX_SEEN_RANGES)
    return bad(
      'GROUP_MSG_TOO_FAR',
      'seq',
      `more than ${MAX_SEEN_RANGES} holes in this sender's messages: wait for the missing ones`,
    );
  const lamport = Math.max(t.lamport, m.lamport);
  const entry = { sender, epoch, seen: next, heard: lamport };
  let senders = [...t.senders.filter((s) => s !== old), entry];
  if (senders.length > MAX_TRACKED_EPOCHS) senders = senders.sort((a, b) => a.heard - b.heard).slice(1);
  return { ok: true, message: m, timeline: { ...t, lamport, senders }, duplicate, missing: holes(next) };
}

/** `seen` with `seq` added, ranges merged (ascending, disjoint, never adjacent). */
function insertSeq(seen: [number, number][], seq: number): [number, number][] {
  const out: [number, number][] = [];
  let cur: [number, number] = [seq, seq];
  for (const [a, b] of seen) {
    if (b + 1 < cur[0]) out.push([a, b]);
    else if (cur[1] + 1 < a) {
      out.push(cur);
      cur = [a, b];
    } else cur = [Math.min(a, cur[0]), Math.max(b, cur[1])];
  }
  out.push(cur);
  return out;
}

/**
 * The gaps between seen ranges. Nothing below the first range is reported: a member who joined
 * after a sender's epoch began never gets its start, and cannot tell which of the first seqs it
 * sees were sent before it joined (docs/groups.md §6.3). An epoch seen from its hello (seq 1) on
 * has every gap reported.
 */
function holes(seen: [number, number][]): [number, number][] {
  return seen.slice(1).map(([a], i) => [seen[i]![1] + 1, a - 1] as [number, number]);
}

/**
 * The members a message goes to (docs/groups.md §6.1): everyone on the held list but the sender.
 * A removed member is on no later list, so nobody sends to it again.
 */
export function fanOutTo(held: SignedList, me: Uint8Array): Uint8Array[] {
  return held.list.members.filter((m) => compareBytes(m.key, me) !== 0).map((m) => m.key);
}

/** Orders two timeline messages: by Lamport stamp, then sender key, epoch and seq (docs/groups.md §6.1). */
export function compareGroupOrder(a: GroupStamp, b: GroupStamp): number {
  return a.lamport - b.lamport || compareBytes(a.sender, b.sender) || compareBytes(a.epoch, b.epoch) || a.seq - b.seq;
}

/** The messages in the order every member shows them (docs/groups.md §6.1); a new array. */
export function sortTimeline<T extends GroupStamp>(messages: readonly T[]): T[] {
  return messages.slice().sort(compareGroupOrder);
}

function hexBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(hex)) throw new TypeError('timeline.epoch: expected 16 lowercase hex characters');
  return hexToBytes(hex);
}

function bad(code: GroupMessageErrorCode, step: string, message: string): Failure<GroupMessageErrorCode> {
  return failure(code, 'receiver', `group message: ${step}`, message);
}

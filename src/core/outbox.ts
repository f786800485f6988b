/**
 * Offline outbox: exactly-once, in-order delivery of one contact's messages across
 * disconnects, duplicate and reordered deliveries and crashes (issue "Contacts that last":
 * "Offline outbox"; DESIGN.md "Storage"; docs/outbox.md).
 *
 * The sender numbers each message of a stream 1, 2, 3, … and names it `<stream>-<seq>`, a
 * valid wire message id (docs/protocol-app.md §4). The stream is 11 random base64url
 * characters, new for every outbox, so a sender that lost its state (a fresh browser after a
 * backup import) starts a new stream instead of reusing numbers the receiver has seen. Until a
 * receipt arrives a message stays in the outbox and is sent again on every reconnect.
 *
 * The receiver keeps, per stream, the highest sequence number delivered without a hole
 * (`through`) and the few messages accepted beyond it (`held`, at most `window`): a message
 * is handed to the app only when every earlier one has been, and receipted only then; a repeat
 * is recognised and never handed over twice.
 *
 * All state is plain JSON (payloads must be JSON too) and never mutated: every call returns
 * new state. Contract with the caller: persist the returned state (with the delivered
 * messages, on the receiving side) in one transaction before sending anything it implies —
 * messages, receipts — so that a crash at any point loses nothing and repeats nothing.
 * @module
 */
import { failure, type Failure } from './errors';
import { toBase64Url } from './base64url';
import { randomBytesFrom, type RandomSource } from './identity';

/** A message waiting for its receipt (docs/outbox.md §2). */
export interface OutboxEntry<T> {
  id: string;
  seq: number;
  payload: T;
  queuedAt: number;
}
/** Sender state for one contact (docs/outbox.md §2). */
export interface Outbox<T> {
  version: 1;
  /** 11 base64url characters, random, fixed for this outbox's life. */
  stream: string;
  /** The sequence number the next message gets (the first is 1). */
  nextSeq: number;
  /** Messages not yet receipted, ascending `seq`. */
  entries: OutboxEntry<T>[];
}
/** A message the receiver accepted (docs/outbox.md §3). */
export interface InboxMessage<T> {
  id: string;
  seq: number;
  payload: T;
}
/** Receiver state for one stream of one contact (docs/outbox.md §3). */
export interface InboxStream<T> {
  stream: string;
  /** Every seq ≤ through has been delivered to the app. */
  through: number;
  /** Accepted but not yet deliverable (an earlier one is missing), ascending `seq`. */
  held: InboxMessage<T>[];
  /** Value of the inbox clock when this stream last accepted something (for eviction). */
  touched: number;
}
/** Receiver state for one contact (docs/outbox.md §3). */
export interface Inbox<T> {
  version: 1;
  clock: number;
  streams: InboxStream<T>[];
}

/** What happened to a received message (docs/outbox.md §3). */
export type ReceiveStatus = 'delivered' | 'held' | 'duplicate' | 'too-far';
/** Result of {@link receive}. */
export type ReceiveResult<T> =
  | {
      ok: true;
      inbox: Inbox<T>;
      status: ReceiveStatus;
      /** Messages to hand to the app now, in order (the received one and any it unblocked). */
      deliver: InboxMessage<T>[];
      /**
       * Ids to send receipts for, after committing: the delivered messages, or the id again
       * for a repeat of a delivered one. Held messages are receipted only once delivered, so
       * a receipt always means "shown to the person" and the sender's unreceipted messages
       * are always everything from its resume point on that the app has not shown.
       */
      receipts: string[];
      /** Sequence numbers of this stream still missing below the highest held one. */
      missing: number[];
    }
  | Failure<'OUTBOX_BAD_ID'>;
/** Result of {@link acknowledge}: `delivered` is null for a repeated receipt. */
export type AcknowledgeResult<T> =
  { ok: true; outbox: Outbox<T>; delivered: OutboxEntry<T> | null } | Failure<'OUTBOX_UNKNOWN_RECEIPT'>;

/** Default window: how far past the last delivered seq a receiver accepts (docs/outbox.md §3). */
export const DEFAULT_RECEIVE_WINDOW = 64;
/** Streams remembered per contact; the least recently used goes first (docs/outbox.md §3). */
export const MAX_INBOX_STREAMS = 16;
const ID_RE = /^([A-Za-z0-9_-]{11})-([1-9][0-9]{0,15})$/;

/** Splits a message id `<stream>-<seq>` (docs/outbox.md §1), or null if it is not one. */
export function parseMessageId(id: string): { stream: string; seq: number } | null {
  const m = typeof id === 'string' ? ID_RE.exec(id) : null;
  if (!m) return null;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { stream: m[1]!, seq } : null;
}

/** A new, empty outbox with a fresh random stream (docs/outbox.md §1). */
export function createOutbox<T>(random: RandomSource): Outbox<T> {
  return { version: 1, stream: toBase64Url(randomBytesFrom(random, 8)), nextSeq: 1, entries: [] };
}

/** Queues a message: it gets the next sequence number and its id (docs/outbox.md §2). */
export function enqueue<T>(outbox: Outbox<T>, payload: T, now: number): { outbox: Outbox<T>; entry: OutboxEntry<T> } {
  assertOutbox(outbox);
  if (!Number.isSafeInteger(now) || now < 0) throw new TypeError('now: expected a non-negative integer (ms)');
  const seq = outbox.nextSeq;
  const entry: OutboxEntry<T> = { id: `${outbox.stream}-${seq}`, seq, payload, queuedAt: now };
  return { outbox: { ...outbox, nextSeq: seq + 1, entries: [...outbox.entries, entry] }, entry };
}

/** What to send, in this order, whenever a link to the contact opens (docs/outbox.md §2). */
export function pending<T>(outbox: Outbox<T>): readonly OutboxEntry<T>[] {
  assertOutbox(outbox);
  return outbox.entries;
}

/**
 * The sender's resume point, to send before {@link pending} on every link: every message of
 * `stream` below `base` has been receipted. See {@link resume} (docs/outbox.md §3).
 */
export function resumePoint(outbox: Outbox<unknown>): { stream: string; base: number } {
  assertOutbox(outbox);
  return { stream: outbox.stream, base: outbox.entries[0]?.seq ?? outbox.nextSeq };
}

/**
 * Applies a receipt from the contact: the message leaves the outbox and `delivered` says
 * which one to mark delivered. A repeated receipt is fine (`delivered: null`); a receipt for a
 * message this outbox never sent is `OUTBOX_UNKNOWN_RECEIPT` (an older stream, or a buggy
 * peer) and changes nothing (docs/outbox.md §2).
 */
export function acknowledge<T>(outbox: Outbox<T>, id: string): AcknowledgeResult<T> {
  assertOutbox(outbox);
  const parsed = parseMessageId(id);
  if (!parsed || parsed.stream !== outbox.stream || parsed.seq >= outbox.nextSeq)
    return failure(
      'OUTBOX_UNKNOWN_RECEIPT',
      'sender',
      'receipt',
      `receipt for ${JSON.stringify(String(id).slice(0, 64))}, which this outbox never sent (a message from before this browser's data was reset, or a bug in the peer)`,
    );
  const index = outbox.entries.findIndex((e) => e.seq === parsed.seq);
  if (index < 0) return { ok: true, outbox, delivered: null };
  const entries = outbox.entries.slice();
  const [delivered] = entries.splice(index, 1);
  return { ok: true, outbox: { ...outbox, entries }, delivered: delivered! };
}

/** A new, empty inbox for one contact (docs/outbox.md §3). */
export function createInbox<T>(): Inbox<T> {
  return { version: 1, clock: 0, streams: [] };
}

/**
 * Accepts a message from the contact (docs/outbox.md §3). `deliver` lists what to hand to the
 * app now, in order, and `receipts` what to receipt; a message that comes early is `held`
 * (not receipted until delivered); a repeat is `duplicate` (deliver nothing; receipt it again
 * if it was delivered); a message more than `window` past the last delivered one is `too-far`
 * and not kept (the sender sends it again). An id not of the outbox form is `OUTBOX_BAD_ID`.
 */
export function receive<T>(inbox: Inbox<T>, id: string, payload: T, opts: { window?: number } = {}): ReceiveResult<T> {
  assertInbox(inbox);
  const window = opts.window ?? DEFAULT_RECEIVE_WINDOW;
  if (!Number.isSafeInteger(window) || window < 1) throw new TypeError('opts.window: expected a positive integer');
  const parsed = parseMessageId(id);
  if (!parsed)
    return failure(
      'OUTBOX_BAD_ID',
      'receiver',
      'message id',
      `message id ${JSON.stringify(String(id).slice(0, 64))} is not <stream>-<seq> (the peer runs an older Parley, or has a bug)`,
    );
  const { seq } = parsed;
  const current = inbox.streams.find((s) => s.stream === parsed.stream) ?? {
    stream: parsed.stream,
    through: 0,
    held: [],
    touched: 0,
  };
  if (seq <= current.through || current.held.some((m) => m.seq === seq))
    return {
      ok: true,
      inbox,
      status: 'duplicate',
      deliver: [],
      receipts: seq <= current.through ? [id] : [],
      missing: missingIn(current),
    };
  if (seq > current.through + window)
    return { ok: true, inbox, status: 'too-far', deliver: [], receipts: [], missing: missingIn(current) };
  const held = [...current.held, { id, seq, payload }].sort((a, b) => a.seq - b.seq);
  const { stream, deliver } = release({ ...current, held });
  return {
    ok: true,
    inbox: store(inbox, stream),
    status: deliver.length > 0 ? 'delivered' : 'held',
    deliver,
    receipts: deliver.map((m) => m.id),
    missing: missingIn(stream),
  };
}

/**
 * Applies the sender's resume point (docs/outbox.md §3): everything below `base` was
 * receipted, so it was delivered here — or before this inbox was reset (a new browser), in
 * which case waiting for it would block the stream forever. The stream moves past it; any held
 * messages this unblocks are released in order (and are to be receipted). An old (reordered)
 * resume point changes nothing.
 */
export function resume<T>(
  inbox: Inbox<T>,
  point: { stream: string; base: number },
): { inbox: Inbox<T>; deliver: InboxMessage<T>[]; receipts: string[] } {
  assertInbox(inbox);
  const ok =
    typeof point === 'object' &&
    point !== null &&
    parseMessageId(`${point.stream}-1`) &&
    Number.isSafeInteger(point.base) &&
    point.base >= 1;
  if (!ok)
    throw new TypeError(
      'point: expected { stream: 11 base64url characters, base: positive integer } (validate what a peer sends first)',
    );
  const current = inbox.streams.find((s) => s.stream === point.stream) ?? {
    stream: point.stream,
    through: 0,
    held: [],
    touched: 0,
  };
  if (point.base - 1 <= current.through) return { inbox, deliver: [], receipts: [] };
  const below = current.held.filter((m) => m.seq < point.base);
  const rest = current.held.filter((m) => m.seq >= point.base);
  const { stream, deliver } = release({ ...current, through: point.base - 1, held: rest });
  const released = [...below, ...deliver];
  return { inbox: store(inbox, stream), deliver: released, receipts: released.map((m) => m.id) };
}

/** Moves the contiguous run at the front of `held` past `through`. */
function release<T>(stream: InboxStream<T>): { stream: InboxStream<T>; deliver: InboxMessage<T>[] } {
  let through = stream.through;
  let i = 0;
  while (i < stream.held.length && stream.held[i]!.seq === through + 1) {
    through++;
    i++;
  }
  return { stream: { ...stream, through, held: stream.held.slice(i) }, deliver: stream.held.slice(0, i) };
}

/** Puts a stream's new state into the inbox, evicting the least recently used beyond the limit. */
function store<T>(inbox: Inbox<T>, stream: InboxStream<T>): Inbox<T> {
  const clock = inbox.clock + 1;
  const others = inbox.streams.filter((s) => s.stream !== stream.stream);
  // Prefer evicting streams with nothing held: evicting held messages would lose them.
  while (others.length >= MAX_INBOX_STREAMS) {
    const byAge = others
      .slice()
      .sort((a, b) => Number(a.held.length > 0) - Number(b.held.length > 0) || a.touched - b.touched);
    others.splice(others.indexOf(byAge[0]!), 1);
  }
  return { version: 1, clock, streams: [...others, { ...stream, touched: clock }] };
}

function missingIn(stream: InboxStream<unknown>): number[] {
  const last = stream.held.at(-1)?.seq ?? stream.through;
  const have = new Set(stream.held.map((m) => m.seq));
  const out: number[] = [];
  for (let s = stream.through + 1; s < last; s++) if (!have.has(s)) out.push(s);
  return out;
}

function assertOutbox(o: Outbox<unknown>): void {
  if (
    typeof o !== 'object' ||
    o === null ||
    o.version !== 1 ||
    !Array.isArray(o.entries) ||
    !Number.isSafeInteger(o.nextSeq)
  )
    throw new TypeError('outbox: expected the state returned by createOutbox/enqueue/acknowledge');
}

function assertInbox(i: Inbox<unknown>): void {
  if (
    typeof i !== 'object' ||
    i === null ||
    i.version !== 1 ||
    !Array.isArray(i.streams) ||
    !Number.isSafeInteger(i.clock)
  )
    throw new TypeError('inbox: expected the state returned by createInbox/receive/resume');
}

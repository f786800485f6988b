/**
 * How fast a contact's chat may fill this browser (docs/outbox.md §5, docs/security.md "What a
 * malicious contact can do"): per contact a receive budget of chat records and text bytes, a
 * bound on ratchet messages waiting to be opened per link, and the sender's own pacing, which
 * keeps an honest sender within the other side's budget. A message the budget does not take is
 * not lost: it stays in the sender's outbox without a receipt and is sent again
 * ({@link CHAT_RESEND_AFTER_MS}); the chat says how many were held back.
 * @module
 */
import { TokenBucket, type RateSpec } from '../core/rate-budget';

/** New chat messages stored per contact: 120 at once, then 2 a second. */
export const CHAT_RECEIVE_MESSAGES: RateSpec = { capacity: 120, perSecond: 2 };
/** Their text (UTF-8 bytes) per contact: 8 MiB at once, then 4 KiB a second (~340 MiB a day at most). */
export const CHAT_RECEIVE_BYTES: RateSpec = { capacity: 8 * 1024 * 1024, perSecond: 4 * 1024 };
/**
 * Ratchet messages of a contact opened at all (chat, receipts, resume points, file keys): 240 at
 * once, then 8 a second. Each costs a decryption and a write of the ratchet state, which skipped
 * keys make up to ~60 ms and ~340 KB (docs/security.md "What a malicious contact can do").
 */
export const CHAT_RECEIVE_OPENED: RateSpec = { capacity: 240, perSecond: 8 };
/** Ratchet messages of a contact that did not open (replayed, undecryptable): 64 at once, then 1 a second. */
export const CHAT_RECEIVE_REFUSALS: RateSpec = { capacity: 64, perSecond: 1 };
/** What this side sends per contact (new messages and resends): under the receive budget above. */
export const CHAT_SEND_MESSAGES: RateSpec = { capacity: 100, perSecond: 1.5 };
/**
 * Ratchet messages waiting to be opened and stored on one link, and their bytes: more are dropped
 * unopened (the sender sends them again). 256 of at most 64 KiB each, 4 MiB in all.
 */
export const MAX_QUEUED_RATCHET = 256;
export const MAX_QUEUED_RATCHET_BYTES = 4 * 1024 * 1024;
/** A message still without a receipt is sent again on the same link after this long. */
export const CHAT_RESEND_AFTER_MS = 30_000;

/** The rates a {@link ChatBudget} applies (tests pass faster ones). */
export interface ChatBudgetSpecs {
  messages: RateSpec;
  bytes: RateSpec;
  opened: RateSpec;
  refusals: RateSpec;
  send: RateSpec;
}

export const DEFAULT_CHAT_BUDGET: ChatBudgetSpecs = {
  messages: CHAT_RECEIVE_MESSAGES,
  bytes: CHAT_RECEIVE_BYTES,
  opened: CHAT_RECEIVE_OPENED,
  refusals: CHAT_RECEIVE_REFUSALS,
  send: CHAT_SEND_MESSAGES,
};

/** The budgets (receive and send) of one contact, kept across its links. */
export class ChatBudget {
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;
  readonly #refusals: TokenBucket;
  readonly #opened: TokenBucket;
  readonly send: TokenBucket;
  /** Chat messages of this contact not taken so far (deferred or dropped unopened). */
  heldBack = 0;

  constructor(now: number, specs: Partial<ChatBudgetSpecs> = {}) {
    const o = { ...DEFAULT_CHAT_BUDGET, ...specs };
    this.#messages = new TokenBucket(o.messages, now);
    this.#bytes = new TokenBucket(o.bytes, now);
    this.#refusals = new TokenBucket(o.refusals, now);
    this.#opened = new TokenBucket(o.opened, now);
    this.send = new TokenBucket(o.send, now);
  }

  /**
   * Whether the receive budget has no chat message left at `now`, or the contact used up
   * {@link CHAT_RECEIVE_OPENED} or {@link CHAT_RECEIVE_REFUSALS}: then a ratchet message is
   * dropped unopened (no decryption, no storage), since a chat in it would be deferred anyway; what
   * else it could carry (a receipt) is repeated when this side sends its message again.
   */
  exhausted(now: number): boolean {
    return this.#messages.available(now) < 1 || this.#refusals.available(now) < 1 || this.#opened.available(now) < 1;
  }

  /** A ratchet message of the contact is about to be opened: it counts against {@link CHAT_RECEIVE_OPENED}. */
  opening(now: number): void {
    this.#opened.take(now);
  }

  /** A ratchet message of the contact did not open: it counts against {@link CHAT_RECEIVE_REFUSALS}. */
  refused(now: number): void {
    this.#refusals.take(now);
  }

  /** Takes one message of `bytes` from the receive budget, or nothing if either part is short. */
  admit(now: number, bytes: number): boolean {
    if (this.#messages.available(now) < 1 || this.#bytes.available(now) < bytes) return false;
    this.#messages.take(now);
    this.#bytes.take(now, bytes);
    return true;
  }
}

/** The budgets of every contact of one app instance. */
export class ChatBudgets {
  readonly #all = new Map<string, ChatBudget>();
  constructor(
    private readonly now: () => number = Date.now,
    private readonly specs: Partial<ChatBudgetSpecs> = {},
  ) {}

  of(contact: string): ChatBudget {
    let b = this.#all.get(contact);
    if (!b) this.#all.set(contact, (b = new ChatBudget(this.now(), this.specs)));
    return b;
  }
}

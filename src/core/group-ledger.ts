/**
 * A bounded record of single-use ids seen until they expire: vouch ids at the admin, intro ids
 * at each member (docs/groups.md §4.2, §5.3). Plain JSON, never mutated, so the app stores it with
 * the group in the same transaction as what it accepted.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { assertBytes } from './errors';

/** Ids seen and how long each stays (docs/groups.md §4.2). */
export interface SeenLedger {
  version: 1;
  /** Hex id and the time (ms) after which the id's message is refused as expired anyway. */
  entries: { id: string; until: number }[];
}
/** Most ids a ledger keeps; past that, unexpired ones are never dropped: new ids are refused instead. */
export const MAX_LEDGER_ENTRIES = 256;

/** An empty ledger. */
export function emptyLedger(): SeenLedger {
  return { version: 1, entries: [] };
}

/** True if `id` was recorded and has not yet expired at `now`. */
export function ledgerHas(ledger: SeenLedger, id: Uint8Array, now: number): boolean {
  assertBytes('id', id);
  const hex = bytesToHex(id);
  return checked(ledger).entries.some((e) => e.id === hex && e.until > now);
}

/**
 * The ledger with `id` recorded until `until`, expired entries dropped; null when the ledger
 * already holds {@link MAX_LEDGER_ENTRIES} unexpired ids (a flood: refuse, and lose nothing held).
 */
export function ledgerAdd(ledger: SeenLedger, id: Uint8Array, until: number, now: number): SeenLedger | null {
  assertBytes('id', id);
  if (!Number.isSafeInteger(until) || !Number.isSafeInteger(now))
    throw new TypeError('until, now: expected integers (ms)');
  const live = checked(ledger).entries.filter((e) => e.until > now);
  if (live.length >= MAX_LEDGER_ENTRIES) return null;
  return { version: 1, entries: [...live, { id: bytesToHex(id), until }] };
}

function checked(ledger: SeenLedger): SeenLedger {
  if (ledger?.version !== 1 || !Array.isArray(ledger.entries)) throw new TypeError('ledger: expected a SeenLedger');
  return ledger;
}

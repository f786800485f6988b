/**
 * Failure values shared by the protocol core.
 *
 * Style rule (DEVELOPERS.md): a peer's failure is returned as a value, a programmer's mistake
 * is thrown. Every failure says which side noticed it, at which step, and the likely cause,
 * and carries a stable `code` that the UI maps to a message a person can act on.
 * @module
 */

/** Which end of a protocol run noticed the failure. */
export type Side = 'client' | 'server' | 'sender' | 'receiver' | 'local';

/** A protocol failure caused by the peer or the network, returned (never thrown). */
export interface Failure<C extends string = string> {
  readonly ok: false;
  /** Stable machine-readable code, e.g. `SHS_MSG2_BAD_HMAC`. */
  readonly code: C;
  readonly side: Side;
  /** Protocol step, e.g. `msg2` or `frame 17`. */
  readonly step: string;
  /** Human-readable: what happened and the likely cause. */
  readonly message: string;
}

/** Builds a {@link Failure} value. */
export function failure<C extends string>(code: C, side: Side, step: string, message: string): Failure<C> {
  return { ok: false, code, side, step, message };
}

/**
 * Throws a `TypeError` naming the argument unless `value` is a Uint8Array of `length` bytes
 * (or any length when `length` is omitted). For programmer mistakes only.
 */
export function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof value}`);
  if (length !== undefined && value.length !== length)
    throw new TypeError(`${name}: expected ${length} bytes, got ${value.length}`);
}

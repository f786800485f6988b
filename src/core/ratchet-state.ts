/**
 * The Double Ratchet's state (Signal Double Ratchet spec, section 4 "State variables" of the
 * header-encryption variant) and its JSON form for storage.
 *
 * States are immutable values: the functions in `ratchet.ts` return a new state and never
 * change the one they are given, and no byte array inside a state is ever written to. That
 * is what makes a failed or replayed message leave the stored state untouched.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { failure, type Failure } from './errors';

/** Limits on skipped message keys (spec section 3.5 MAX_SKIP, and section 6.4 on deleting skipped keys). */
export interface RatchetLimits {
  /** MAX_SKIP: most message keys one received message may make this side skip in one chain. */
  readonly maxSkip: number;
  /** Most skipped keys kept in all; the oldest are dropped first. */
  readonly maxSkippedKeys: number;
  /** A skipped key is dropped once this many later DH ratchet steps have been received. */
  readonly maxSkippedSteps: number;
  /** A skipped key is dropped once it is older than this (ms, against the `now` passed in). */
  readonly maxSkippedAgeMs: number;
}

/** Defaults: generous for a messenger whose peers go offline, bounded against a flooding peer. */
export const DEFAULT_LIMITS: RatchetLimits = {
  maxSkip: 1000,
  maxSkippedKeys: 2000,
  maxSkippedSteps: 8,
  maxSkippedAgeMs: 30 * 24 * 3600 * 1000,
};

/** An entry of MKSKIPPED (spec section 4): a message key stored for a message not yet received. */
export interface SkippedKey {
  readonly hk: Uint8Array;
  readonly n: number;
  readonly mk: Uint8Array;
  /** `RatchetState.step` when the key was stored. */
  readonly step: number;
  /** `now` when the key was stored. */
  readonly at: number;
}

/** Spec section 4 state: DHs, DHr, RK, CKs, CKr, Ns, Nr, PN, HKs, HKr, NHKs, NHKr, MKSKIPPED. */
export interface RatchetState {
  readonly version: 1;
  /** Associated data bound into every header and message: both identities (see `ratchetAd`). */
  readonly ad: Uint8Array;
  readonly dhsSecret: Uint8Array;
  readonly dhsPublic: Uint8Array;
  readonly dhr: Uint8Array | null;
  readonly rk: Uint8Array;
  readonly cks: Uint8Array | null;
  readonly ckr: Uint8Array | null;
  readonly hks: Uint8Array | null;
  readonly hkr: Uint8Array | null;
  readonly nhks: Uint8Array;
  readonly nhkr: Uint8Array;
  readonly ns: number;
  readonly nr: number;
  readonly pn: number;
  /** Number of DH ratchet steps taken on receipt so far (to expire skipped keys). */
  readonly step: number;
  /** MKSKIPPED, oldest first. */
  readonly skipped: readonly SkippedKey[];
  readonly limits: RatchetLimits;
}

/** The JSON-able form of a {@link RatchetState}: byte arrays as lowercase hex. */
export interface RatchetStateJson {
  v: 1;
  ad: string;
  dhsSecret: string;
  dhsPublic: string;
  dhr: string | null;
  rk: string;
  cks: string | null;
  ckr: string | null;
  hks: string | null;
  hkr: string | null;
  nhks: string;
  nhkr: string;
  ns: number;
  nr: number;
  pn: number;
  step: number;
  skipped: { hk: string; n: number; mk: string; step: number; at: number }[];
  limits: { maxSkip: number; maxSkippedKeys: number; maxSkippedSteps: number; maxSkippedAgeMs: number };
}

/** Failure code of {@link parseState}. */
export type RatchetStateErrorCode = 'RATCHET_STATE_INVALID';

const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : bytesToHex(b));

/** Turns a state into a plain object that survives `JSON.stringify`/`structuredClone` (for IndexedDB). */
export function serializeState(s: RatchetState): RatchetStateJson {
  return {
    v: 1,
    ad: bytesToHex(s.ad),
    dhsSecret: bytesToHex(s.dhsSecret),
    dhsPublic: bytesToHex(s.dhsPublic),
    dhr: hexOrNull(s.dhr),
    rk: bytesToHex(s.rk),
    cks: hexOrNull(s.cks),
    ckr: hexOrNull(s.ckr),
    hks: hexOrNull(s.hks),
    hkr: hexOrNull(s.hkr),
    nhks: bytesToHex(s.nhks),
    nhkr: bytesToHex(s.nhkr),
    ns: s.ns,
    nr: s.nr,
    pn: s.pn,
    step: s.step,
    skipped: s.skipped.map((k) => ({ hk: bytesToHex(k.hk), n: k.n, mk: bytesToHex(k.mk), step: k.step, at: k.at })),
    limits: { ...s.limits },
  };
}

class Invalid extends Error {}

function bytes(o: Record<string, unknown>, field: string, len: number | null, nullable = false): Uint8Array | null {
  const v = o[field];
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v)) throw new Invalid(`${field} is not lowercase hex`);
  const b = hexToBytes(v);
  if (len !== null && b.length !== len) throw new Invalid(`${field} has ${b.length} bytes, expected ${len}`);
  return b;
}
const bytes32 = (o: Record<string, unknown>, f: string): Uint8Array => bytes(o, f, 32) as Uint8Array;

function uint(o: Record<string, unknown>, field: string, max = 0xffffffff): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    throw new Invalid(`${field} is not an integer in 0..${max}`);
  return v;
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(`${what} is not an object`);
  return v as Record<string, unknown>;
}

/**
 * Reads back what {@link serializeState} wrote, checking every field. A stored state that was
 * corrupted or tampered with gives a `RATCHET_STATE_INVALID` failure naming the field.
 */
export function parseState(json: unknown): { ok: true; state: RatchetState } | Failure<RatchetStateErrorCode> {
  try {
    const o = record(json, 'state');
    if (o.v !== 1) throw new Invalid(`unknown version ${String(o.v)}`);
    const l = record(o.limits, 'limits');
    const limits: RatchetLimits = {
      maxSkip: uint(l, 'maxSkip'),
      maxSkippedKeys: uint(l, 'maxSkippedKeys'),
      maxSkippedSteps: uint(l, 'maxSkippedSteps'),
      maxSkippedAgeMs: uint(l, 'maxSkippedAgeMs', Number.MAX_SAFE_INTEGER),
    };
    if (!Array.isArray(o.skipped)) throw new Invalid('skipped is not an array');
    const skipped = o.skipped.map((e, i) => {
      const r = record(e, `skipped[${i}]`);
      return {
        hk: bytes32(r, 'hk'),
        n: uint(r, 'n'),
        mk: bytes32(r, 'mk'),
        step: uint(r, 'step', Number.MAX_SAFE_INTEGER),
        at: uint(r, 'at', Number.MAX_SAFE_INTEGER),
      };
    });
    const state: RatchetState = {
      version: 1,
      ad: bytes(o, 'ad', null) as Uint8Array,
      dhsSecret: bytes32(o, 'dhsSecret'),
      dhsPublic: bytes32(o, 'dhsPublic'),
      dhr: bytes(o, 'dhr', 32, true),
      rk: bytes32(o, 'rk'),
      cks: bytes(o, 'cks', 32, true),
      ckr: bytes(o, 'ckr', 32, true),
      hks: bytes(o, 'hks', 32, true),
      hkr: bytes(o, 'hkr', 32, true),
      nhks: bytes32(o, 'nhks'),
      nhkr: bytes32(o, 'nhkr'),
      ns: uint(o, 'ns'),
      nr: uint(o, 'nr'),
      pn: uint(o, 'pn'),
      step: uint(o, 'step', Number.MAX_SAFE_INTEGER),
      skipped,
      limits,
    };
    if ((state.cks === null) !== (state.hks === null))
      throw new Invalid('cks and hks must both be set or both be null');
    if ((state.ckr === null) !== (state.hkr === null))
      throw new Invalid('ckr and hkr must both be set or both be null');
    return { ok: true, state };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    return failure(
      'RATCHET_STATE_INVALID',
      'local',
      'load state',
      `Stored ratchet state is unusable: ${e.message}. It was corrupted or written by another version.`,
    );
  }
}

/**
 * Versions and features (docs/protocol.md "Compatibility"; DESIGN.md "versions"). At the start
 * of every link each side announces, as its first data frame, its protocol version and the
 * features it supports (the `features` wire message); a peer whose first data frame is anything
 * else runs version 1 (Parley before announcements), whose feature set is {@link V1}. A sender
 * never sends a message type whose feature the peer did not announce ({@link TYPE_FEATURE}).
 * Pure: the codec rules of the announcement, the gate, the test switch's parser and the digest
 * both sides confirm inside the ratchet (`features-check`, docs/security.md "Downgrade").
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { WireMessage } from './wire-types';

/** Feature names this code knows (docs/protocol.md "Compatibility"). Peers may announce others. */
export const KNOWN_FEATURES = [
  'file-key',
  'unsupported-ack',
  'groups',
  'file-chunk-v2',
  'file-chunk-v3',
  'file-ack-window',
] as const;
/** A feature this code can gate on. */
export type FeatureName = (typeof KNOWN_FEATURES)[number];

/** One side's announcement: protocol version and feature names (sorted, no repeats). */
export interface Announcement {
  readonly version: number;
  readonly features: readonly string[];
}

/** The protocol version this code speaks; the first that announces. */
export const PROTOCOL_VERSION = 2;
/** Highest version number an announcement may carry (u16). */
export const MAX_ANNOUNCED_VERSION = 0xffff;
/** At most this many feature names in one announcement. */
export const MAX_FEATURES = 32;
/** A feature name: lowercase letters, digits and `-`, starting with a letter, ≤ 32 characters. */
export const FEATURE_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Version 1: what a peer that sends no announcement can do — Parley as it was before
 * announcements (main at de18cb7). Outer: hello, invite-proof, invite-result, session-offer, kx,
 * ratchet, transfer (its data under the file key); inner: chat, receipt, resume, file-key. It
 * refuses any other inner type (its step spent, never receipted) and skips unknown outer types.
 */
export const V1: Announcement = Object.freeze({ version: 1, features: Object.freeze(['file-key']) });

/**
 * This build's default: version 2 with file keys, files sealed once with the file digest of chunk
 * digests (`file-chunk-v3`: transfer protocol 2, frame 0x04 and docs/files.md §12's digest;
 * `file-chunk-v2` was the same before §12, with a plain SHA-256 of the file as its digest, and is
 * no longer enough), groups (the wire type `group`, docs/groups.md §10) and the unsupported
 * receipt, and `file-ack-window`: as a sender this side takes the window the receiver's accept
 * advertises as its own, so a receiver may hold its acks until a quarter of it is unacknowledged
 * (docs/files.md §14; it changes no message). Sorted, as an announcement is.
 */
export const CURRENT: Announcement = Object.freeze({
  version: PROTOCOL_VERSION,
  features: Object.freeze(['file-ack-window', 'file-chunk-v3', 'file-key', 'groups', 'unsupported-ack']),
});

/**
 * Features that count only together with others: transfer protocol 2 seals its chunks under the
 * file key, so `file-chunk-v2`/`-v3` without `file-key` is no use (docs/protocol.md "Compatibility").
 */
const REQUIRES: Partial<Record<FeatureName, readonly FeatureName[]>> = {
  'file-chunk-v2': ['file-key'],
  'file-chunk-v3': ['file-key'],
  'file-ack-window': ['file-key', 'file-chunk-v3'],
};

/**
 * The feature a message type needs the receiver to have announced; absent = every version
 * takes it. `features` and `features-check` travel only between peers that announce.
 */
export const TYPE_FEATURE: Partial<Record<WireMessage['type'], FeatureName>> = {
  transfer: 'file-chunk-v3',
  'file-key': 'file-key',
  unsupported: 'unsupported-ack',
  group: 'groups',
};

/** Whether `a` (an announcement, or null for version 1) includes feature `f` and those it requires. */
export function hasFeature(a: Announcement | null, f: FeatureName): boolean {
  const names = (a ?? V1).features;
  return names.includes(f) && (REQUIRES[f] ?? []).every((r) => names.includes(r));
}

/**
 * Whether a message of `type` may go to a peer that announced `peer` (null: none, version 1)
 * from a side configured with `own` (docs/protocol.md "Compatibility", the sender's rule).
 */
export function maySend(own: Announcement | null, peer: Announcement | null, type: WireMessage['type']): boolean {
  if (type === 'features') return own !== null;
  if (type === 'features-check') return own !== null && peer !== null;
  const f = TYPE_FEATURE[type];
  return f === undefined || (hasFeature(own, f) && hasFeature(peer, f));
}

/**
 * The receipt for a message: `unsupported` for one this side could not use, if the peer takes
 * that flavour; otherwise a plain `receipt` — all a version-1 sender understands, and what makes
 * it stop resending (docs/protocol.md "Compatibility").
 */
export function receiptType(
  unusable: boolean,
  own: Announcement | null,
  peer: Announcement | null,
): 'receipt' | 'unsupported' {
  return unusable && maySend(own, peer, 'unsupported') ? 'unsupported' : 'receipt';
}

/** Why an announcement is invalid, or null when it is valid (used by the wire codec). */
export function announcementProblem(a: { version?: unknown; features?: unknown }): string | null {
  const v = a.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 2 || v > MAX_ANNOUNCED_VERSION)
    return `version: an integer 2..${MAX_ANNOUNCED_VERSION} (version 1 sends no announcement)`;
  const f = a.features;
  if (!Array.isArray(f) || f.length > MAX_FEATURES) return `features: an array of at most ${MAX_FEATURES} names`;
  for (let i = 0; i < f.length; i++) {
    const name: unknown = f[i];
    if (typeof name !== 'string' || !FEATURE_NAME_RE.test(name))
      return `features[${i}]: a name of lowercase letters, digits and -`;
    if (i > 0 && !(f[i - 1] < name)) return 'features: sorted, without repeats';
  }
  return null;
}

/** An announcement with its names sorted and deduplicated; throws a `TypeError` naming the field. */
export function announcement(version: number, features: readonly string[]): Announcement {
  const a = { version, features: Object.freeze([...new Set(features)].sort()) };
  const problem = announcementProblem(a);
  if (problem) throw new TypeError(`announcement.${problem}`);
  return Object.freeze(a);
}

/** Result of {@link parseFeatureConfig}. */
export type FeatureConfig = { ok: true; own: Announcement | null } | { ok: false; reason: string };

/**
 * Reads the test switch that starts the app as an older version (docs/app.md "Starting as an
 * older version"). Accepted: `v1` (announce nothing: {@link V1}), or
 * `v2:<feature>,<feature>…` naming a subset of {@link CURRENT}'s features. It can only take
 * features away, never add one this build does not have.
 */
export function parseFeatureConfig(text: string): FeatureConfig {
  if (text === 'v1') return { ok: true, own: null };
  const m = /^v2:([a-z0-9,-]*)$/.exec(text);
  if (!m) return { ok: false, reason: 'expected "v1" or "v2:<features>"' };
  const names = m[1] === '' ? [] : m[1]!.split(',');
  const extra = names.filter((n) => !CURRENT.features.includes(n));
  if (extra.length > 0) return { ok: false, reason: `not features of this build: ${extra.join(', ')}` };
  return { ok: true, own: announcement(PROTOCOL_VERSION, names) };
}

const CHECK_LABEL = utf8ToBytes('parley/features-check/1');

/** u32 BE length ‖ canonical JSON of the announcement, or a zero length for none (version 1). */
function framed(a: Announcement | null): Uint8Array {
  const body =
    a === null ? new Uint8Array(0) : utf8ToBytes(JSON.stringify({ version: a.version, features: a.features }));
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/**
 * The 32-byte digest each side sends inside the ratchet as `features-check`
 * (docs/security.md "Downgrade"): SHA-256 of a label and both announcements as this side saw
 * them, the kx initiator's (the link's SHS client) first. Equal on both sides iff both saw the
 * same two announcements.
 */
export function announcementDigest(initiator: Announcement | null, responder: Announcement | null): Uint8Array {
  return sha256(concatBytes(CHECK_LABEL, framed(initiator), framed(responder)));
}

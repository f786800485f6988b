/**
 * Invites: what one person sends another, out of band, to become contacts
 * (DESIGN.md "Layers: invite"; docs/protocol-app.md §2).
 *
 * Binary layout (v1), then base64url, carried only in a URL fragment so it never reaches a server:
 *
 *     version(1)=1 ‖ inviterKey(32) ‖ rendezvousSecret(32) ‖ inviteSecret(32) ‖
 *     expiresAt(6, u48 BE, ms) ‖ nameLength(1, ≤ 64) ‖ name(UTF-8) ‖ checksum(4)
 *
 * checksum = sha256("parley/invite-checksum" ‖ everything before it)[0..4]. It catches a
 * damaged or mistyped link (never "silently dial the wrong place"); it is not a MAC and does not
 * stop someone who can rewrite the link — such a person could as well send their own invite.
 * The checksum sits last in every version, so an old app can tell "newer version" from "damaged".
 *
 * Why the display name is only a hint: nothing signs it. Whoever forwards the link can change it
 * and recompute the checksum, and the inviter picked it freely anyway. The UI shows it as
 * "invited by (says) Alice" until the contact is named by the person; identity is the key,
 * checked with the safety number. The name never influences which key is accepted.
 * @module
 */
import { equalBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { assertBytes, failure, type Failure } from './errors';
import { fromBase64Url, toBase64Url } from './base64url';
import { isValidPublicKey, randomBytesFrom, type RandomSource } from './identity';

/** A decoded invite (docs/protocol-app.md §2). */
export interface Invite {
  version: 1;
  /** The inviter's long-term Ed25519 public key (32). The invitee is the SHS client. */
  inviterKey: Uint8Array;
  /** 32 bytes; the room id and the signal-sealing key derive from it (`rendezvous.ts`). */
  rendezvousSecret: Uint8Array;
  /** 32 bytes; keys the invitee's {@link inviteProof}. */
  inviteSecret: Uint8Array;
  /** Milliseconds since the epoch; the invite is refused from this instant on. */
  expiresAt: number;
  /** The inviter's chosen display name: a hint only, see the module comment. */
  name?: string;
}

/** Why an invite was refused (docs/protocol-app.md §2.2). */
export type InviteErrorCode = 'INVITE_MALFORMED' | 'INVITE_TAMPERED' | 'INVITE_EXPIRED' | 'INVITE_VERSION';
/** Result of {@link parseInvite} (docs/protocol-app.md §2.2). */
export type ParseInviteResult = { ok: true; invite: Invite } | Failure<InviteErrorCode>;

/** The invite format version this module writes and reads (docs/protocol-app.md §2.1). */
export const INVITE_VERSION = 1;
/** Longest display name carried in an invite, in UTF-8 bytes. */
export const MAX_INVITE_NAME_BYTES = 64;
/** Default lifetime of an invite: 24 hours. */
export const DEFAULT_INVITE_TTL_MS = 24 * 60 * 60 * 1000;
/** Largest expiry the 48-bit field holds (year 10889). */
const MAX_EXPIRES_AT = 2 ** 48 - 1;
const HEADER_BYTES = 1 + 32 + 32 + 32 + 6 + 1;
const CHECKSUM_BYTES = 4;

const enc = new TextEncoder();
const CHECKSUM_LABEL = enc.encode('parley/invite-checksum');
const PROOF_LABEL = enc.encode('parley/invite-proof/1');

const DAMAGED = 'This invite link is damaged or incomplete — ask your friend to send it again.';

/**
 * Cleans a display name for an invite or a `hello`: Unicode NFC, control characters removed,
 * runs of white space collapsed, trimmed, cut to {@link MAX_INVITE_NAME_BYTES} UTF-8 bytes at a
 * code point boundary. Returns `undefined` when nothing is left (docs/protocol-app.md §2).
 */
export function cleanDisplayName(name: string, maxBytes = MAX_INVITE_NAME_BYTES): string | undefined {
  if (typeof name !== 'string') throw new TypeError(`name: expected string, got ${typeof name}`);
  let s = name
    .normalize('NFC')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  s = s.replace(/\p{Cs}/gu, '');
  // Every code point takes at least one byte: cut long input first so the loop below stays short.
  s = Array.from(s).slice(0, maxBytes).join('');
  while (enc.encode(s).length > maxBytes) s = Array.from(s).slice(0, -1).join('');
  s = s.trim();
  return s === '' ? undefined : s;
}

/** Creates a fresh invite with new random secrets (docs/protocol-app.md §2). */
export function createInvite(o: {
  inviterKey: Uint8Array;
  name?: string;
  now: number;
  ttlMs?: number;
  random: RandomSource;
}): Invite {
  assertBytes('inviterKey', o.inviterKey, 32);
  const ttlMs = o.ttlMs ?? DEFAULT_INVITE_TTL_MS;
  if (!Number.isSafeInteger(o.now) || o.now < 0) throw new TypeError('now: expected a non-negative integer (ms)');
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new TypeError('ttlMs: expected a positive integer (ms)');
  if (o.now + ttlMs > MAX_EXPIRES_AT) throw new RangeError('ttlMs: expiry does not fit in 48 bits');
  const invite: Invite = {
    version: 1,
    inviterKey: Uint8Array.from(o.inviterKey),
    rendezvousSecret: randomBytesFrom(o.random, 32),
    inviteSecret: randomBytesFrom(o.random, 32),
    expiresAt: o.now + ttlMs,
  };
  const name = o.name === undefined ? undefined : cleanDisplayName(o.name);
  if (name !== undefined) invite.name = name;
  return invite;
}

/** Encodes an invite as base64url with its checksum (docs/protocol-app.md §2). Throws on a bad invite. */
export function encodeInvite(invite: Invite): string {
  if (invite.version !== 1) throw new TypeError('invite.version: expected 1');
  assertBytes('invite.inviterKey', invite.inviterKey, 32);
  assertBytes('invite.rendezvousSecret', invite.rendezvousSecret, 32);
  assertBytes('invite.inviteSecret', invite.inviteSecret, 32);
  if (!Number.isSafeInteger(invite.expiresAt) || invite.expiresAt < 0 || invite.expiresAt > MAX_EXPIRES_AT)
    throw new TypeError('invite.expiresAt: expected an integer in [0, 2^48) (ms)');
  const name = invite.name === undefined ? new Uint8Array(0) : enc.encode(invite.name);
  if (
    invite.name !== undefined &&
    (name.length === 0 || name.length > MAX_INVITE_NAME_BYTES || !isCleanName(invite.name))
  )
    throw new RangeError(
      `invite.name: must be 1..${MAX_INVITE_NAME_BYTES} UTF-8 bytes without control characters (use cleanDisplayName)`,
    );
  const bytes = new Uint8Array(HEADER_BYTES + name.length + CHECKSUM_BYTES);
  bytes[0] = INVITE_VERSION;
  bytes.set(invite.inviterKey, 1);
  bytes.set(invite.rendezvousSecret, 33);
  bytes.set(invite.inviteSecret, 65);
  const hi = Math.floor(invite.expiresAt / 2 ** 32);
  const view = new DataView(bytes.buffer);
  view.setUint16(97, hi);
  view.setUint32(99, invite.expiresAt - hi * 2 ** 32);
  bytes[103] = name.length;
  bytes.set(name, HEADER_BYTES);
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  bytes.set(checksum(body), body.length);
  return toBase64Url(bytes);
}

/** The link to share: `${origin}/#invite=CODE`; the fragment never leaves the browser (docs/protocol-app.md §2). */
export function inviteLink(origin: string, invite: Invite): string {
  if (typeof origin !== 'string' || origin.includes('#'))
    throw new TypeError('origin: expected a URL origin without a fragment');
  return `${origin.replace(/\/+$/, '')}/#invite=${encodeInvite(invite)}`;
}

/**
 * Reads an invite from a full link, a bare code, or either as pasted from a chat app (white space,
 * line breaks and invisible characters anywhere, wrapped in <…> or quotes). Checks the checksum,
 * version, layout, key and expiry; every problem is a {@link Failure} whose message a person can
 * act on (docs/protocol-app.md §2).
 */
export function parseInvite(linkOrCode: string, now: number): ParseInviteResult {
  if (typeof linkOrCode !== 'string') throw new TypeError(`linkOrCode: expected string, got ${typeof linkOrCode}`);
  if (!Number.isFinite(now)) throw new TypeError('now: expected a number (ms)');
  const code = extractCode(linkOrCode);
  if (code === null)
    return bad(
      'INVITE_MALFORMED',
      'find code',
      'This is not a Parley invite link. Paste the whole link your friend sent.',
    );
  if (code === '') return bad('INVITE_MALFORMED', 'find code', DAMAGED);
  const body = checkedBody(code);
  if (!(body instanceof Uint8Array)) return body;
  const invite = readBody(body);
  if ('ok' in invite) return invite;
  if (!isValidPublicKey(invite.inviterKey))
    return bad(
      'INVITE_MALFORMED',
      'inviter key',
      'This invite does not contain a valid key. Ask your friend to create a new invite.',
    );
  if (now >= invite.expiresAt)
    return bad(
      'INVITE_EXPIRED',
      'expiry',
      `This invite expired on ${formatUtc(invite.expiresAt)}. Ask your friend to send a new one.`,
    );
  return { ok: true, invite };
}

/** The invite's body from its code: decoded, checksum checked, version known; or why not. */
function checkedBody(code: string): Uint8Array | Failure<InviteErrorCode> {
  const bytes = fromBase64Url(code);
  if (bytes === null) return bad('INVITE_MALFORMED', 'base64url', DAMAGED);
  if (bytes.length < 1 + CHECKSUM_BYTES) return bad('INVITE_MALFORMED', 'length', DAMAGED);
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  if (!equalBytes(checksum(body), bytes.subarray(body.length))) return bad('INVITE_TAMPERED', 'checksum', DAMAGED);
  if (bytes[0] !== INVITE_VERSION) {
    return bytes[0]! > INVITE_VERSION
      ? bad(
          'INVITE_VERSION',
          'version',
          'This invite was made by a newer version of Parley. Reload the page to update, then open the link again.',
        )
      : bad('INVITE_MALFORMED', 'version', DAMAGED);
  }
  return body;
}

/** The fields of a version-1 body (docs/protocol-app.md §2.1), or why its layout or name is wrong. */
function readBody(body: Uint8Array): Invite | Failure<InviteErrorCode> {
  if (body.length < HEADER_BYTES || body.length !== HEADER_BYTES + body[103]!)
    return bad('INVITE_MALFORMED', 'layout', DAMAGED);
  const nameLength = body[103]!;
  if (nameLength > MAX_INVITE_NAME_BYTES) return bad('INVITE_MALFORMED', 'name', DAMAGED);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const invite: Invite = {
    version: 1,
    inviterKey: body.slice(1, 33),
    rendezvousSecret: body.slice(33, 65),
    inviteSecret: body.slice(65, 97),
    expiresAt: view.getUint16(97) * 2 ** 32 + view.getUint32(99),
  };
  if (nameLength === 0) return invite;
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body.subarray(HEADER_BYTES));
  } catch {
    return bad('INVITE_MALFORMED', 'name', DAMAGED);
  }
  if (!isCleanName(name)) return bad('INVITE_MALFORMED', 'name', DAMAGED);
  invite.name = name;
  return invite;
}

/**
 * The invitee's proof that it holds the invite, bound to one SHS session:
 * HMAC-SHA256(key = inviteSecret, "parley/invite-proof/1" ‖ handshakeSecret), 32 bytes
 * (docs/protocol-app.md §2.3). Binding to the handshake secret means a proof seen on one session
 * is worthless on any other.
 */
export function inviteProof(inviteSecret: Uint8Array, handshakeSecret: Uint8Array): Uint8Array {
  assertBytes('inviteSecret', inviteSecret, 32);
  assertBytes('handshakeSecret', handshakeSecret, 32);
  return hmac(sha256, inviteSecret, concatBytes(PROOF_LABEL, handshakeSecret));
}

/** Checks a proof from the peer in constant time; a proof of the wrong length is simply false (docs/protocol-app.md §2.3). */
export function verifyInviteProof(inviteSecret: Uint8Array, handshakeSecret: Uint8Array, proof: Uint8Array): boolean {
  const expected = inviteProof(inviteSecret, handshakeSecret);
  if (!(proof instanceof Uint8Array) || proof.length !== expected.length) return false;
  return equalBytes(expected, proof);
}

function checksum(body: Uint8Array): Uint8Array {
  return sha256(concatBytes(CHECKSUM_LABEL, body)).subarray(0, CHECKSUM_BYTES);
}

function isCleanName(name: string): boolean {
  return name.length > 0 && !/[\p{Cc}\p{Cs}]/u.test(name);
}

// White space, zero-width and other invisible characters chat apps insert when wrapping links.
const INVISIBLE = /[\s\u00AD\u180E\u200B-\u200F\u2028\u2029\u2060-\u2064\uFEFF]/gu;

/** The code inside a link or pasted text; null when the text is a link but not an invite link. */
function extractCode(text: string): string | null {
  let s = text.replace(INVISIBLE, '');
  s = s.replace(/^[<"'“‘(]+/u, '').replace(/[>"'”’).,;]+$/u, '');
  const hash = s.indexOf('#');
  if (hash >= 0) {
    const param = s
      .slice(hash + 1)
      .split('&')
      .find((p) => p.startsWith('invite='));
    if (param === undefined) return null;
    s = param.slice('invite='.length);
  } else if (s.includes('invite=')) {
    s = s.slice(s.indexOf('invite=') + 'invite='.length).split('&')[0]!;
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(s) || s.includes('/')) {
    return null;
  }
  return s.replace(/={1,2}$/, '');
}

function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} at ${iso.slice(11, 16)} UTC`;
}

function bad(code: InviteErrorCode, step: string, message: string): Failure<InviteErrorCode> {
  return failure(code, 'local', `parse invite: ${step}`, message);
}

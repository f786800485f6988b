/**
 * Leak scanner for the metadata end-to-end test (DESIGN.md "What the signaling server may learn").
 *
 * Given secrets (keys, fingerprints, SDP lines, ICE candidates…) and the frames a relay saw,
 * reports every secret that appears in a frame as raw text, JSON-escaped text, hex (any case,
 * also with ':', ' ' or '-' between bytes as in SDP's a=fingerprint lines),
 * base64 or base64url (padded or not, at each of the three byte alignments, so a secret embedded
 * inside a larger encoded blob is found too) or base58 (bitcoin alphabet, whole value).
 */

export interface Secret {
  /** What the secret is, for the report ("alice identity key"). */
  label: string;
  /** Bytes (scanned in binary encodings) or a string (scanned as text, and its UTF-8 bytes encoded). */
  value: Uint8Array | string;
}

export type LeakEncoding =
  'text' | 'json-text' | 'hex' | 'hex-separated' | 'base64' | 'base64url' | 'base58' | 'latin1';

export interface Leak {
  label: string;
  encoding: LeakEncoding;
  /** For base64/base64url: the byte alignment (0, 1, 2) at which the secret was found. */
  alignment?: number;
  frameIndex: number;
  /** Where in the frame the match starts. */
  position: number;
}

/** Secrets shorter than this many bytes (or characters) match random data too easily. */
export const MIN_SECRET_LENGTH = 8;

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin-alphabet base58 of the whole value (leading zero bytes become '1'). */
export function base58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = n * 256n + BigInt(b);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/**
 * The base64 characters that depend only on `bytes` when they sit at byte offset `alignment`
 * (mod 3) of a longer encoded buffer: the characters straddling a neighbour's bits are cut off.
 */
export function base64Core(bytes: Uint8Array, alignment: number, url: boolean): string {
  const padded = new Uint8Array(alignment + bytes.length);
  padded.set(bytes, alignment);
  const b64 = Buffer.from(padded)
    .toString(url ? 'base64url' : 'base64')
    .replace(/=+$/, '');
  const start = Math.ceil((alignment * 8) / 6);
  const end = Math.floor(((alignment + bytes.length) * 8) / 6);
  return b64.slice(start, end);
}

interface Needle {
  label: string;
  encoding: LeakEncoding;
  alignment?: number;
  text: string;
  caseInsensitive?: boolean;
}

function needlesFor(secret: Secret): Needle[] {
  const { label, value } = secret;
  const needles: Needle[] = [];
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    if (value.length < MIN_SECRET_LENGTH)
      throw new RangeError(`${label}: secrets under ${MIN_SECRET_LENGTH} characters would match by chance`);
    needles.push({ label, encoding: 'text', text: value });
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) needles.push({ label, encoding: 'json-text', text: escaped });
    bytes = new TextEncoder().encode(value);
  } else {
    if (value.length < MIN_SECRET_LENGTH)
      throw new RangeError(`${label}: secrets under ${MIN_SECRET_LENGTH} bytes would match by chance`);
    bytes = value;
    // The bytes as raw characters (a binary frame read as latin1 text).
    needles.push({ label, encoding: 'latin1', text: Buffer.from(bytes).toString('latin1') });
  }
  const hex = Buffer.from(bytes).toString('hex');
  needles.push({ label, encoding: 'hex', text: hex, caseInsensitive: true });
  for (const sep of [':', ' ', '-'])
    needles.push({ label, encoding: 'hex-separated', text: hex.match(/../g)!.join(sep), caseInsensitive: true });
  for (const alignment of [0, 1, 2]) {
    needles.push({ label, encoding: 'base64', alignment, text: base64Core(bytes, alignment, false) });
    needles.push({ label, encoding: 'base64url', alignment, text: base64Core(bytes, alignment, true) });
  }
  needles.push({ label, encoding: 'base58', text: base58(bytes) });
  return needles;
}

/**
 * Every place a secret shows up in the frames; an empty list means no leak found.
 * Binary frames are scanned as latin1 text (one character per byte).
 */
export function findLeaks(secrets: Secret[], frames: (string | Uint8Array)[]): Leak[] {
  const needles = secrets.flatMap(needlesFor);
  const leaks: Leak[] = [];
  frames.forEach((f, frameIndex) => {
    const frame = typeof f === 'string' ? f : Buffer.from(f).toString('latin1');
    const lower = frame.toLowerCase();
    const seen = new Set<string>();
    for (const n of needles) {
      // base64 and base64url share most characters: report one hit once.
      const position = n.caseInsensitive ? lower.indexOf(n.text.toLowerCase()) : frame.indexOf(n.text);
      if (position < 0) continue;
      const key = `${n.label}|${position}|${n.text.length}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const leak: Leak = { label: n.label, encoding: n.encoding, frameIndex, position };
      if (n.alignment !== undefined) leak.alignment = n.alignment;
      leaks.push(leak);
    }
  });
  return leaks;
}

/** Throws an error listing the leaks, if any (for use in tests). */
export function assertNoLeaks(secrets: Secret[], frames: (string | Uint8Array)[]): void {
  const leaks = findLeaks(secrets, frames);
  if (leaks.length > 0)
    throw new Error(
      `secrets leaked to the relay:\n${leaks.map((l) => `  ${l.label} as ${l.encoding}${l.alignment === undefined ? '' : ` (alignment ${l.alignment})`} in frame ${l.frameIndex} at ${l.position}`).join('\n')}`,
    );
}

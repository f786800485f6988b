/**
 * Text a peer chose — display names, file names, media types — made safe to show (docs/security.md
 * "What a malicious contact can do", "Spoofed names"). A name is shown inside sentences and next
 * to other names: a right-to-left override (U+202E) turns "invoice\u202Efdp.exe" into what looks
 * like "invoiceexe.pdf", a zero-width space makes "Ali\u200Bce" look exactly like "Alice", a
 * Hangul filler (U+3164) looks like nothing at all, and forty stacked accents cover the lines
 * around them. So every bidi control and every invisible character (Unicode's format characters,
 * `\p{Cf}`, and Default_Ignorable_Code_Point) goes, except the three that real text needs where
 * they do something visible: ZWJ inside an emoji sequence (👨‍👩‍👧), ZWJ/ZWNJ between letters of a
 * script that joins (Persian "می‌خواهم", Devanagari), and the emoji variation selectors after an
 * emoji or a keycap base. Runs of combining marks are cut to {@link MAX_MARKS_IN_A_ROW}.
 * Telling look-alike names apart (the UTS #39 skeleton) is `src/app/names.ts`.
 * @module
 */

/** Most combining marks kept in a row after a base character (after NFC; real names need 1–3). */
export const MAX_MARKS_IN_A_ROW = 4;

/** Longest display name a peer can give itself, in UTF-8 bytes (the invite and `hello` limit). */
export const MAX_PEER_NAME_BYTES = 64;

/**
 * Longest label the person may give a contact, in UTF-8 bytes (docs/app.md "Renaming a
 * contact"): the same bound and cleaning as a peer's own name, so a label pasted from anywhere
 * cannot carry bidi controls or invisible characters either.
 */
export const MAX_CONTACT_LABEL_BYTES = 64;

/** Longest file name from an offer, in UTF-8 bytes (the transfer codec's limit, docs/files.md §1). */
export const MAX_PEER_FILE_NAME_BYTES = 255;

const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const ZWJ = '\u200D',
  ZWNJ = '\u200C';
const EMOJI_BEFORE_ZWJ = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
/** Scripts in which a joiner between two letters never changes what is shown (and so can only hide). */
const NON_JOINING = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}\p{Script=Inherited}]/u;
const MARK = /\p{M}/u;
const enc = new TextEncoder();

/** Whether invisible `c`, between `prev` (already kept) and `next` (raw), does something visible there. */
function visibleThere(prev: string | undefined, c: string, next: string | undefined): boolean {
  if (prev === undefined || next === undefined) return c === '\uFE0F' && prev !== undefined && PICTOGRAPH.test(prev);
  if (c === ZWJ && EMOJI_BEFORE_ZWJ.test(prev) && PICTOGRAPH.test(next)) return true;
  if ((c === ZWJ || c === ZWNJ) && LETTER_OR_MARK.test(prev) && !NON_JOINING.test(prev) && LETTER_OR_MARK.test(next))
    return true;
  if (c === '\uFE0F' || c === '\uFE0E') return PICTOGRAPH.test(prev) || (/[#*0-9]/.test(prev) && next === '\u20E3');
  return false;
}

/** `s` without bidi controls and invisible characters (but for the visible uses above). */
export function stripInvisible(s: string): string {
  const cps = Array.from(s),
    out: string[] = [];
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i]!;
    if (!INVISIBLE.test(c) || visibleThere(out[out.length - 1], c, cps[i + 1])) out.push(c);
  }
  return out.join('');
}

/** `s` with every run of combining marks cut to `max`. */
export function capMarks(s: string, max = MAX_MARKS_IN_A_ROW): string {
  let run = 0,
    out = '';
  for (const c of s) {
    run = MARK.test(c) ? run + 1 : 0;
    if (run <= max) out += c;
  }
  return out;
}

/** The longest prefix of `s` (whole code points) that fits `maxBytes` of UTF-8. */
function cutToBytes(s: string, maxBytes: number): string {
  if (enc.encode(s).length <= maxBytes) return s;
  let out = '',
    n = 0;
  for (const c of s) {
    const b = enc.encode(c).length;
    if (n + b > maxBytes) break;
    out += c;
    n += b;
  }
  return out;
}

function cleanOnce(s: string, maxBytes: number): string {
  const t = s
    .normalize('NFC')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\p{Cs}/gu, '');
  return cutToBytes(capMarks(stripInvisible(t)).replace(/\s+/gu, ' ').trim(), maxBytes).trim();
}

/**
 * Text a peer chose, as it may be shown: NFC, no control, bidi or invisible characters (but for
 * the visible uses in the module comment), runs of white space as one space, trimmed, at most
 * {@link MAX_MARKS_IN_A_ROW} combining marks in a row, at most `maxBytes` UTF-8 bytes. Idempotent
 * ('' when nothing is left). Property-tested in test/core/peer-text.test.ts.
 */
export function cleanPeerText(s: string, maxBytes: number): string {
  if (typeof s !== 'string') throw new TypeError(`cleanPeerText s: expected a string, got ${typeof s}`);
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new RangeError(`cleanPeerText maxBytes: expected a positive integer, got ${maxBytes}`);
  // Each step can only shorten the text, so this ends; usually after one round.
  for (let prev = s, next = cleanOnce(s, maxBytes); ; prev = next, next = cleanOnce(next, maxBytes))
    if (next === prev) return next;
}

/** A file name from a peer's offer as shown and used for the download ('file' when nothing is left). */
export function cleanFileName(name: string): string {
  const n = cleanPeerText(name.replace(/[/\\]/g, '_'), MAX_PEER_FILE_NAME_BYTES);
  return n === '' || n === '.' || n === '..' ? 'file' : n;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/;

/**
 * A media type from a peer's offer as shown (as text only: received files are always handed out
 * as `application/octet-stream`, docs/files.md "Finished files"): lower case `type/subtype`, or ''
 * when it is not one.
 */
export function shownMediaType(type: string): string {
  const t = type.trim().toLowerCase();
  return MEDIA_TYPE.test(t) ? t : '';
}

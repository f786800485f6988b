/**
 * Cleaning text a peer chose (src/core/peer-text.ts; issue 11 item 6): attack cases from the
 * review and fast-check properties over arbitrary strings salted with bidi controls, invisible
 * characters, joiners and piles of combining marks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  capMarks,
  cleanFileName,
  cleanPeerText,
  MAX_MARKS_IN_A_ROW,
  MAX_PEER_FILE_NAME_BYTES,
  MAX_PEER_NAME_BYTES,
  shownMediaType,
  stripInvisible,
} from '../../src/core/peer-text';

const BIDI = /\p{Bidi_Control}/u;
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** Invisible characters that may stay, where they do something visible (module comment). */
const MAY_STAY = new Set(['\u200D', '\u200C', '\uFE0E', '\uFE0F']);
const bytes = (s: string) => new TextEncoder().encode(s).length;
const longestMarkRun = (s: string) => Math.max(0, ...(s.match(/\p{M}+/gu) ?? []).map((r) => Array.from(r).length));

/** Arbitrary strings with the characters that attacks use mixed in. */
const salted = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 4 }),
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom(
        '\u202E',
        '\u202D',
        '\u2066',
        '\u2067',
        '\u2068',
        '\u2069',
        '\u200E',
        '\u200F',
        '\u061C',
        '\u200B',
        '\u2060',
        '\uFEFF',
        '\u00AD',
        '\u034F',
        '\u3164',
        '\u115F',
        '\u180E',
        '\uFFF9',
        '\u{E0041}',
        '\u{1D173}',
        '\u200D',
        '\u200C',
        '\uFE0F',
        '\uFE0E',
        '\u0301',
        '\u0336',
        '\u20E3',
        '👨',
        '👩',
        '1',
        'ب',
        'क',
        '\u094D',
        ' ',
        '\n',
        '\u0000',
        '\u2028',
        'a',
      ),
    ),
    { maxLength: 80 },
  )
  .map((parts) => parts.join(''));

describe('cleanPeerText (names a peer chooses)', () => {
  it('the review\'s file name "invoice\\u202Efdp.exe" shows as what it is', () => {
    expect(cleanFileName('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(cleanFileName('report\u2067fdp.exe\u2069')).toBe('reportfdp.exe');
    expect(cleanFileName('\u202E')).toBe('file');
    expect(cleanFileName('a/b')).toBe('a_b');
  });
  it('drops invisibles that make one name look like another, keeps joiners that show something', () => {
    expect(cleanPeerText('Ali\u200Bce', 64)).toBe('Alice');
    expect(cleanPeerText('Ali\u200Dce', 64)).toBe('Alice'); // a joiner between Latin letters shows nothing
    expect(cleanPeerText('\u3164', 64)).toBe(''); // Hangul filler: a name that looks empty
    expect(cleanPeerText('Bo\u00ADb\u{E0041}', 64)).toBe('Bob'); // soft hyphen, tag
    expect(cleanPeerText('Fam 👨\u200D👩\u200D👧', 64)).toBe('Fam 👨\u200D👩\u200D👧');
    expect(cleanPeerText('می\u200Cخواهم', 64)).toBe('می\u200Cخواهم'); // Persian ZWNJ
    expect(cleanPeerText('❤\uFE0F 1\uFE0F\u20E3', 64)).toBe('❤\uFE0F 1\uFE0F\u20E3');
    expect(cleanPeerText('Bob\uFE0F', 64)).toBe('Bob');
  });
  it('cuts piles of combining marks (zalgo) and long names', () => {
    expect(capMarks('Z' + '\u0336'.repeat(40))).toBe('Z' + '\u0336'.repeat(MAX_MARKS_IN_A_ROW));
    expect(cleanPeerText('Nguyễn Văn Ánh', 64)).toBe('Nguyễn Văn Ánh'.normalize('NFC'));
    expect(bytes(cleanPeerText('é'.repeat(100), 64))).toBeLessThanOrEqual(64);
  });
  it('media types: lower-case type/subtype, anything else shown as nothing', () => {
    expect(shownMediaType('Text/HTML')).toBe('text/html');
    expect(shownMediaType('image/svg+xml')).toBe('image/svg+xml');
    expect(shownMediaType('text/plain; charset=utf-8')).toBe('');
    expect(shownMediaType('a\u202Eb/c')).toBe('');
  });

  for (const [what, max] of [
    ['display names', MAX_PEER_NAME_BYTES],
    ['file names', MAX_PEER_FILE_NAME_BYTES],
  ] as const)
    it(`property (${what}, ≤ ${max} bytes): idempotent, no bidi control, no invisible but a joiner that shows, within the bound`, () => {
      fc.assert(
        fc.property(salted, (s) => {
          const n = cleanPeerText(s, max);
          expect(cleanPeerText(n, max)).toBe(n);
          expect(BIDI.test(n)).toBe(false);
          for (const c of n) if (INVISIBLE.test(c)) expect(MAY_STAY.has(c)).toBe(true);
          // A joiner or selector that stayed shows something: stripping again keeps it.
          expect(stripInvisible(n)).toBe(n);
          expect(bytes(n)).toBeLessThanOrEqual(max);
          expect(longestMarkRun(n)).toBeLessThanOrEqual(MAX_MARKS_IN_A_ROW);
          expect(/\p{Cc}/u.test(n)).toBe(false);
          expect(n).toBe(n.trim());
        }),
        { numRuns: 2000 },
      );
    });

  it('property: a file name is never empty, ".", ".." and carries no path separator', () => {
    fc.assert(
      fc.property(salted, (s) => {
        const n = cleanFileName(s);
        expect(['', '.', '..']).not.toContain(n);
        expect(/[/\\]/.test(n)).toBe(false);
        expect(cleanFileName(n)).toBe(n);
      }),
      { numRuns: 1000 },
    );
  });
});

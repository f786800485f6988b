import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromBase64Url, toBase64Url } from '../../src/core/base64url';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('base64url', () => {
  it("matches node's base64url and round-trips (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(Buffer.from(fromBase64Url(text)!)).toEqual(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses padding, foreign characters, impossible lengths and non-zero trailing bits', () => {
    expect(fromBase64Url('AA==')).toBeNull();
    expect(fromBase64Url('AA+/')).toBeNull();
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AAAAA')).toBeNull();
    expect(fromBase64Url('AB')).toBeNull(); // 'B' sets one of the 4 unused bits
    expect(fromBase64Url('AAB')).toBeNull(); // 2 unused bits
    expect(fromBase64Url('AA')).toEqual(Uint8Array.of(0));
    expect(fromBase64Url('')).toEqual(new Uint8Array(0));
  });

  it('is canonical: a changed character never decodes to the same bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        (bytes, n, shift) => {
          const text = toBase64Url(bytes);
          const i = n % text.length;
          const changed = text.slice(0, i) + ALPHABET[(ALPHABET.indexOf(text[i]!) + shift) % 64] + text.slice(i + 1);
          const back = fromBase64Url(changed);
          expect(back === null || Buffer.compare(Buffer.from(back), Buffer.from(bytes)) !== 0).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

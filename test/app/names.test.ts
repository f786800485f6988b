import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanName, distinctName, loadNameSkeleton, nameSkeleton } from '../../src/app/names';
import { cleanDisplayName, MAX_INVITE_NAME_BYTES } from '../../src/core/invite';

// Review 2026-11 (docs/review-2026-11-app.md, A1): a peer's display name must not pass for
// another contact's, nor turn the UI text around it.
describe('cleanName', () => {
  it('drops bidi overrides and isolates that would reverse the sentence around the name', () => {
    expect(cleanName('Mallory\u202Egnp.exe')).toBe('Mallorygnp.exe');
    expect(cleanName('\u2067Bob\u2069')).toBe('Bob');
    expect(cleanName('\u200F\u200E')).toBe('');
  });
  it('drops zero-width spaces that make two names look the same', () => {
    expect(cleanName('Ali\u200Bce')).toBe('Alice');
    expect(cleanName('\uFEFFAlice\u2060')).toBe('Alice');
  });
  it('keeps emoji joiner sequences', () => {
    expect(cleanName('Fam 👨\u200D👩\u200D👧')).toBe('Fam 👨\u200D👩\u200D👧');
  });
  it('returns what the backup format accepts as a name', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const n = cleanName(s);
        expect(n === '' || cleanDisplayName(n) === n).toBe(true);
        expect(/[\u202A-\u202E\u2066-\u2069\u200B]/u.test(n)).toBe(false);
      }),
    );
  });
});

describe('distinctName', () => {
  beforeAll(loadNameSkeleton);
  const alice = { key: 'aa', name: 'Alice' };
  it('keeps a name nobody else shows', () => {
    expect(distinctName('Bob', 'bb', [alice])).toBe('Bob');
  });
  it('keeps a contact its own name', () => {
    expect(distinctName('Alice', 'aa', [alice])).toBe('Alice');
  });
  it("marks a peer taking another contact's name, also in other case, width or spacing", () => {
    expect(distinctName('Alice', 'mm', [alice])).toBe('Alice (2)');
    expect(distinctName('ALICE', 'mm', [alice])).toBe('ALICE (2)');
    expect(distinctName('Ａｌｉｃｅ', 'mm', [alice])).toBe('Ａｌｉｃｅ (2)');
    expect(distinctName('Al ice', 'mm', [alice])).toBe('Al ice (2)');
    expect(distinctName('Alice', 'mm', [alice, { key: 'cc', name: 'Alice (2)' }])).toBe('Alice (3)');
  });
  // Issue 11 item 6: look-alikes by the Unicode confusables skeleton (UTS #39), not just case and width.
  it('marks a look-alike of another contact\'s name: Cyrillic "Воb", "B0b", "lris" for "Iris", Cherokee "ᎪᏞᎥᏟᎬ"', () => {
    const bob = { key: 'bb', name: 'Bob' },
      iris = { key: 'ii', name: 'Iris' };
    expect(distinctName('\u0412\u043Eb', 'mm', [bob])).toBe('\u0412\u043Eb (2)'); // В, о: Cyrillic
    expect(distinctName('B0b', 'mm', [bob])).toBe('B0b (2)');
    expect(distinctName('lris', 'mm', [iris])).toBe('lris (2)');
    expect(distinctName('\u13AA\u13DE\u13A5\u13DF\u13AC', 'mm', [alice])).toBe('\u13AA\u13DE\u13A5\u13DF\u13AC (2)');
    expect(distinctName('B\u00ADob', 'mm', [bob])).toMatch(/ \(2\)$/); // a soft hyphen (invisible)
    // Names that only share letters stay as they are.
    expect(distinctName('Bobby', 'mm', [bob, iris, alice])).toBe('Bobby');
    expect(distinctName('Борис', 'mm', [bob, iris, alice])).toBe('Борис');
  });
  it('never gives two contacts the same-looking name and stays within the limit', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 70 }), { maxLength: 6 }), (raw) => {
        const shown: { key: string; name: string }[] = [];
        raw.forEach((r, i) => {
          const n = cleanName(r) || 'Friend';
          shown.push({ key: String(i), name: distinctName(n, String(i), shown) });
        });
        expect(new Set(shown.map((c) => nameSkeleton(c.name))).size).toBe(shown.length);
        for (const c of shown)
          expect(new TextEncoder().encode(c.name).length).toBeLessThanOrEqual(MAX_INVITE_NAME_BYTES);
      }),
    );
  });
});

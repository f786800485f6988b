/**
 * Names from a contact's `hello` (src/app/peer-directory.ts): cleaned, marked when they look like
 * another contact's, and — the attack — a contact alternating names in `hello` as fast as the
 * link allows makes at most RENAME_RATE writes and rename lines (docs/security.md "What a
 * malicious contact can do").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { contactDirectory, RENAME_RATE } from '../../src/app/peer-directory';
import { loadNameSkeleton } from '../../src/app/names';
import type { ContactRecord } from '../../src/store/db';

function contacts() {
  const list = [
    { key: 'aa', name: 'Alice' },
    { key: 'mm', name: 'Mallory' },
  ];
  const writes: string[] = [];
  return {
    writes,
    list: list as unknown as ContactRecord[],
    get: (key: string) => list.find((c) => c.key === key) as never,
    touch: async (key: string, name?: string) => {
      if (name === undefined) return;
      writes.push(name);
      list.find((c) => c.key === key)!.name = name;
    },
  };
}

describe('contactDirectory: names from hello', () => {
  beforeAll(loadNameSkeleton);

  it('cleans the name and marks a look-alike of another contact', async () => {
    const c = contacts(),
      renamed: string[] = [];
    const d = contactDirectory(c, { renamed: (_k, from, to) => renamed.push(`${from}→${to}`) });
    await d.announced('mm', '\u0410lice\u202E'); // a Cyrillic А, then an RLO
    expect(c.writes).toEqual(['\u0410lice (2)']);
    expect(renamed).toEqual(['Mallory→\u0410lice (2)']);
  });

  it('a contact alternating names 1 000 times makes at most RENAME_RATE renames', async () => {
    let clock = 0;
    const c = contacts(),
      renamed: string[] = [];
    const d = contactDirectory(c, { renamed: (_k, from, to) => renamed.push(`${from}→${to}`) }, () => clock);
    for (let i = 0; i < 1000; i++) {
      clock += 10; // 100 a second, for 10 s
      await d.announced('mm', i % 2 ? 'Mal' : 'Lory');
    }
    const bound = RENAME_RATE.capacity + Math.floor((RENAME_RATE.perSecond * clock) / 1000);
    expect(c.writes.length).toBeLessThanOrEqual(bound);
    expect(renamed.length).toBe(c.writes.length);
    expect(c.writes.length).toBeGreaterThan(0);
    // Later, at a person's pace, a new name is taken again.
    clock += 120_000;
    await d.announced('mm', 'Mallory again');
    expect(c.list.find((x) => x.key === 'mm')!.name).toBe('Mallory again');
  });
});

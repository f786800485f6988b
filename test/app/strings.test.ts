import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { t, transferFailedText } from '../../src/app/strings';
import { appError, type AppErrorCode } from '../../src/app/errors';
import { backupError, type BackupStatusCode } from '../../src/app/backup-words';

describe('transfer failures in human words (docs/app.md "Files")', () => {
  it('says what happened and what to do, with the code, never the core’s wording', () => {
    const s = transferFailedText('TRANSFER_HASH_MISMATCH');
    expect(s).toMatch(/damaged or altered.*Send it again\. \(TRANSFER_HASH_MISMATCH\)$/);
    expect(s.replace(/\(\w+\)$/, '')).not.toMatch(/chunk|hash/i);
    // A code without its own words still gets a sentence a person can act on.
    expect(transferFailedText('TRANSFER_BAD_INDEX')).toMatch(
      /did not understand.*update Parley\. \(TRANSFER_BAD_INDEX\)$/,
    );
  });
});

describe('the words of every panel and error in one place (docs/app.md "Words and formats")', () => {
  it('every error code has words in strings.ts saying what happened and what to do, and appError uses them', () => {
    for (const code of Object.keys(t.errors) as AppErrorCode[]) {
      const words = t.errors[code]('Bob');
      expect(words.message, code).toMatch(/^\S.*[.!?]$/);
      expect(words.action, code).toMatch(/^\S.*[.!?)]$/);
      expect(appError(code, 'Bob')).toEqual({ code, ...words });
    }
    // A friend's name at the start of a sentence is capitalised; without a name it is "your friend".
    expect(appError('INVITE_REJECTED').message).toBe('Your friend did not accept this invite.');
  });

  it('every backup code has words in strings.ts, and the panel shows exactly those', () => {
    for (const code of Object.keys(t.backup.errors) as BackupStatusCode[]) {
      const [text, action] = t.backup.errors[code];
      expect(backupError(code)).toEqual({ state: 'error', code, text, action });
    }
    expect(t.backup.replaceAsk('Alice', 1, '')).toContain('Alice with 1 contact. Importing it replaces the identity');
    expect(t.backup.replaceAsk('', 2, 'Carol')).toContain('an identity without a name with 2 contacts');
  });

  it('a label never stands alone where a key is judged: the chosen name is named beside it', () => {
    expect(t.keyChange.labelled('My bank', 'Mallory')).toContain('“Mallory”');
    expect(t.verify.whose('Mallory')).toContain('“Mallory”');
  });
});

describe('every word of the app comes from t, and every entry of t gives words (docs/app.md "Words and formats")', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const src = (p: string) => readFileSync(join(here, '../../src', p), 'utf8');

  it('the error codes in failure-codes.ts and the codes with words in t.errors are the same set', () => {
    const union = /export type AppErrorCode =([^;]+);/.exec(src('app/failure-codes.ts'))?.[1] ?? '';
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).sort();
    expect(codes.length).toBeGreaterThan(20);
    expect(Object.keys(t.errors).sort()).toEqual(codes);
    const backup = /export type BackupStatusCode =([^;]+);/.exec(src('app/failure-codes.ts'))?.[1] ?? '';
    const backupCodes = [...backup.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).sort();
    expect(backupCodes.length).toBeGreaterThan(5);
    expect(Object.keys(t.backup.errors).sort()).toEqual(backupCodes);
  });

  /** Arguments for the entries that take something other than names (by their path in `t`). */
  const ARGS: Record<string, unknown[]> = {
    'backup.replaceAsk': ['Alice', 2, 'Carol'],
    'chat.newBelow': [3],
    'contacts.unread': [2],
    'transfer.skipped': [1, 3],
    'transfer.offers': ['Bob', 2],
    'transfer.failed': ['the file moved'],
    'transfer.acceptSome': [2, 3],
    'refused.text': ['Bob', 2, 5, 'a reason'],
    'group.members': [3],
    'group.item': [3, 'left'],
    'group.status': [3, 'Alice'],
    'group.adminAway': ['Alice', ['Dave', 'Erin'], ['Carol']],
    'groupProblem.tooMany': [100],
    'groupProblem.tooLong': [4000],
    'update.waits': [true],
    'share.droppedFiles': [2],
    'attention.title': [3],
    'attention.offerNotice': ['Ada', 2],
    'attention.wantsFiles': [2],
    'attention.wantsNamed': ['plan.txt', 2],
    'problem.tooLong': [4000],
    'problem.nameTooLong': [64],
    heldBack: ['Bob', 20],
    resetNotice: ['Bob', '14:05', 'failures'],
    'route.detail': ['host', 'udp', 'srflx', 'Bob sees the relay’s address, not yours.'],
  };

  /** Every entry of `t` as [path, words], functions called with `ARGS` or with names. */
  function* entries(node: unknown, path: string): Generator<[string, unknown]> {
    if (typeof node === 'string') yield [path, node];
    else if (typeof node === 'function') {
      const fn = node as (...a: unknown[]) => unknown;
      yield* entries(fn(...(ARGS[path] ?? Array.from({ length: fn.length }, () => 'Bob'))), path);
    } else if (Array.isArray(node)) for (const [i, v] of node.entries()) yield* entries(v, `${path}[${i}]`);
    else if (node && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) yield* entries(v, path ? `${path}.${k}` : k);
    else yield [path, node];
  }

  it('every entry is non-empty words with no hole where a value was missing', () => {
    const all = [...entries(t, '')];
    expect(all.length).toBeGreaterThan(300);
    for (const [path, words] of all) {
      expect(typeof words, path).toBe('string');
      expect((words as string).trim(), path).not.toBe('');
      expect(words, path).not.toMatch(/undefined|NaN|null|\[object/);
    }
    // Every entry given as ARGS exists (a renamed entry cannot leave its sample behind).
    const paths = new Set(all.map(([p]) => p.replace(/[.[].*$/, '')));
    for (const p of Object.keys(ARGS))
      expect(
        all.some(([q]) => q === p || q.startsWith(`${p}.`)),
        p,
      ).toBe(true);
    expect(paths.size).toBeGreaterThan(10);
  });

  it('counts go through plural(): one and many read right', () => {
    expect(t.transfer.offers('Bob', 1)).toBe('Bob offers a file');
    expect(t.transfer.offers('Bob', 2)).toBe('Bob offers 2 files');
    expect(t.share.droppedFiles(1)).toBe('1 more file was left out (too many or too large). ');
    expect(t.share.droppedFiles(2)).toBe('2 more files were left out (too many or too large). ');
    expect(t.group.status(1, 'Alice')).toBe('1 member · admin Alice');
    expect(t.group.status(3, 'Alice')).toBe('3 members · admin Alice');
    expect(t.attention.title(1200)).toBe('(1,200) Parley');
    expect(t.group.adminAway('Alice', ['A', 'B', 'C', 'D'], [])).toContain('adding A, B, and 2 others.');
  });

  it('no screen shows English of their own (text between tags or in a label attribute)', () => {
    const screens = readdirSync(join(here, '../../src/ui')).filter((f) => f.endsWith('.svelte'));
    expect(screens.length).toBeGreaterThan(30);
    for (const file of screens) {
      let markup = src(`ui/${file}`)
        .replace(/<script[\s\S]*?<\/script>/g, '')
        .replace(/<style[\s\S]*?<\/style>/g, '')
        .replace(/<!--[\s\S]*?-->/g, '');
      // Expressions, innermost first (handlers nest braces).
      for (let before = ''; before !== markup;) [before, markup] = [markup, markup.replace(/\{[^{}]*\}/g, '')];
      const text = markup.replace(/<[^>]*>/g, ' ');
      expect(text.match(/[A-Za-z]{2,}/g) ?? [], file).toEqual([]);
      expect(markup.match(/(?:title|placeholder|aria-label|alt)="[^"]*[A-Za-z]/g) ?? [], file).toEqual([]);
    }
  });
});

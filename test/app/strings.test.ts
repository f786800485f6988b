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

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backupError, backupFileName, isWeakPassphrase, type BackupStatusCode } from '../../src/app/backup-words';
import { exportBackup } from '../../src/core/backup';
import { identityFromSeed } from '../../src/core/identity';

const CODES: BackupStatusCode[] = [
  'BACKUP_WEAK_PASSPHRASE',
  'BACKUP_WRONG_PASSPHRASE',
  'BACKUP_TAMPERED',
  'BACKUP_MALFORMED',
  'BACKUP_VERSION',
  'BACKUP_PASSPHRASE_MISMATCH',
  'BACKUP_NO_FILE',
  'BACKUP_UNREADABLE',
  'STORAGE_FAILED',
];

describe('backup panel words', () => {
  it('every code is an error that says what happened and what to do, each in its own words', () => {
    const texts = new Set<string>();
    for (const code of CODES) {
      const s = backupError(code);
      expect(s).toMatchObject({ state: 'error', code });
      expect(s.text.length).toBeGreaterThan(10);
      expect(s.action!.length).toBeGreaterThan(10);
      texts.add(s.text);
    }
    expect(texts.size).toBe(CODES.length);
  });

  it('names the download parley-backup-<name>-<local date>.parley, keeping only letters, digits and dashes', () => {
    const day = new Date(2026, 10, 2, 23, 59);
    expect(backupFileName('Alice', day)).toBe('parley-backup-Alice-2026-11-02.parley');
    expect(backupFileName('Zoë van der Berg', day)).toBe('parley-backup-Zoë-van-der-Berg-2026-11-02.parley');
    expect(backupFileName('../../etc/passwd', day)).toBe('parley-backup-etc-passwd-2026-11-02.parley');
    expect(backupFileName('', day)).toBe('parley-backup-identity-2026-11-02.parley');
    expect(backupFileName('!!!', day)).toBe('parley-backup-identity-2026-11-02.parley');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (name) => {
        expect(backupFileName(name, day)).toMatch(/^parley-backup-[\p{L}\p{N}-]{1,40}-2026-11-02\.parley$/u);
      }),
    );
  });

  it('calls a passphrase weak exactly when exportBackup refuses it', async () => {
    const identity = identityFromSeed(new Uint8Array(32).fill(7));
    const refuses = async (p: string) => {
      const r = await exportBackup({ identity, name: 'Alice', contacts: [] }, p, {
        random: (n) => new Uint8Array(n),
        now: 0,
        cost: { log2N: 2, r: 1, p: 1 },
      });
      return !r.ok && r.code === 'BACKUP_WEAK_PASSPHRASE';
    };
    for (const p of ['', 'short', 'aaaaaaaaaaaa', 'abcdabcdabcd', 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ', 'correct horse'])
      expect(isWeakPassphrase(p)).toBe(await refuses(p));
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 16, unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'ﬁ', 'é', 'e\u0301', ' ') }),
        async (p) => {
          expect(isWeakPassphrase(p)).toBe(await refuses(p));
        },
      ),
      { numRuns: 200 },
    );
  });
});

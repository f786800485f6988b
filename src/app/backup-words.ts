/**
 * What the Backup panel says: person-facing words for every backup failure code, the download's
 * file name, and the passphrase floor for feedback while typing (docs/app.md "Backup").
 * Pure, so it is unit-tested apart from the Svelte state.
 * @module
 */
import { MIN_PASSPHRASE_CHARS, MIN_PASSPHRASE_DISTINCT } from '../core/backup';

/** Codes the panel shows; the `BACKUP_*` of docs/backup.md §5 plus the panel's own. */
export type BackupStatusCode =
  | 'BACKUP_WEAK_PASSPHRASE'
  | 'BACKUP_WRONG_PASSPHRASE'
  | 'BACKUP_TAMPERED'
  | 'BACKUP_MALFORMED'
  | 'BACKUP_VERSION'
  | 'BACKUP_PASSPHRASE_MISMATCH'
  | 'BACKUP_NO_FILE'
  | 'BACKUP_UNREADABLE'
  | 'STORAGE_FAILED';

export interface BackupStatus {
  state: 'idle' | 'working' | 'done' | 'error' | 'confirm';
  text: string;
  /** What the person can do about an error. */
  action?: string;
  code?: BackupStatusCode;
}

/** Person-facing words for every failure code. */
export function backupError(code: BackupStatusCode): BackupStatus {
  const e = (text: string, action: string): BackupStatus => ({ state: 'error', code, text, action });
  switch (code) {
    case 'BACKUP_WEAK_PASSPHRASE':
      return e(
        'This passphrase is too weak to protect your identity.',
        `Use at least ${MIN_PASSPHRASE_CHARS} characters, not just a few repeated ones — a few random words work well.`,
      );
    case 'BACKUP_PASSPHRASE_MISMATCH':
      return e('The two passphrases are not the same.', 'Type the same passphrase in both fields.');
    case 'BACKUP_WRONG_PASSPHRASE':
      return e(
        'Wrong passphrase for this backup. Nothing was imported.',
        'Type the passphrase chosen when the backup was made (check Caps Lock and the keyboard layout).',
      );
    case 'BACKUP_TAMPERED':
      return e(
        'This backup file is damaged or was changed after it was made. Nothing was imported.',
        'Use another copy of the file, or export a new backup in the browser you made it in.',
      );
    case 'BACKUP_MALFORMED':
      return e(
        'This file is not a Parley backup, or it is incomplete. Nothing was imported.',
        'Choose the .parley file Parley saved; if it was copied, copy it again in full.',
      );
    case 'BACKUP_VERSION':
      return e(
        'This backup was made by a newer version of Parley.',
        'Reload the page to update Parley, then import it again.',
      );
    case 'BACKUP_NO_FILE':
      return e('No backup file chosen.', 'Choose the .parley file first.');
    case 'BACKUP_UNREADABLE':
      return e(
        'This browser could not read the chosen file.',
        'Choose the file again; if it is on a removable drive, copy it here first.',
      );
    case 'STORAGE_FAILED':
      return e(
        'This browser would not let Parley store the imported identity. Nothing was changed.',
        'Leave private browsing mode or allow site data, then try again.',
      );
  }
}

/** `parley-backup-<name>-<YYYY-MM-DD>.parley`, with the name reduced to letters, digits and dashes. */
export function backupFileName(name: string, now: Date): string {
  const slug =
    name
      .normalize('NFKC')
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'identity';
  const p = (n: number) => String(n).padStart(2, '0');
  return `parley-backup-${slug}-${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}.parley`;
}

/** Mirrors the export's floor (docs/backup.md §5) for feedback while typing. */
export function isWeakPassphrase(p: string): boolean {
  const chars = Array.from(p.normalize('NFKC'));
  return chars.length < MIN_PASSPHRASE_CHARS || new Set(chars).size < MIN_PASSPHRASE_DISTINCT;
}

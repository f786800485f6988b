/**
 * What the Backup panel says: person-facing words for every backup failure code, the download's
 * file name, and the passphrase floor for feedback while typing (docs/app.md "Backup").
 * Pure, so it is unit-tested apart from the Svelte state.
 * @module
 */
import { MIN_PASSPHRASE_CHARS, MIN_PASSPHRASE_DISTINCT } from '../core/backup';
import type { BackupStatusCode } from './failure-codes';
import { t } from './strings';

export type { BackupStatusCode } from './failure-codes';

export interface BackupStatus {
  state: 'idle' | 'working' | 'done' | 'error' | 'confirm';
  text: string;
  /** What the person can do about an error. */
  action?: string;
  code?: BackupStatusCode;
}

/** Person-facing words for every failure code (`t.backup.errors`, strings.ts). */
export function backupError(code: BackupStatusCode): BackupStatus {
  const [text, action] = t.backup.errors[code];
  return { state: 'error', code, text, action };
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

/**
 * The stable codes of every failure a person can meet (tests and support docs depend on them):
 * the app's (errors.ts `appError`) and the Backup panel's (backup-words.ts). Apart from the words
 * (strings/), which are keyed by these codes, so that the words need not import the modules that
 * use them.
 * @module
 */

export type AppErrorCode =
  | 'INVITE_MALFORMED'
  | 'INVITE_TAMPERED'
  | 'INVITE_EXPIRED'
  | 'INVITE_VERSION'
  | 'INVITE_USED'
  | 'INVITE_REJECTED'
  | 'INVITE_OWN'
  | 'FRIEND_OFFLINE'
  | 'RELAY_DOWN'
  | 'HANDSHAKE_FAILED'
  | 'CONNECTION_FAILED'
  | 'TURN_UNAVAILABLE'
  | 'STORAGE_FAILED'
  // Several tabs (docs/tabs.md).
  | 'TAB_OWNER_UNREACHABLE'
  | 'TAB_NOT_OWNER'
  | 'CONTACT_KEY_CHANGED'
  // Versions (docs/protocol.md "Compatibility").
  | 'PEER_TOO_OLD'
  | 'VERSION_TOO_OLD'
  // Pairing and contacts (docs/security.md "Pairing never changes a contact", "Removing and blocking contacts").
  | 'INVITE_KEY_REFUSED'
  | 'PAIRING_FORMER_KEY'
  | 'PAIRING_PENDING_KEY'
  | 'PAIRING_BLOCKED_KEY'
  | 'CONTACT_BLOCKED';

export interface AppError {
  code: AppErrorCode;
  /** What happened, in words a person understands. */
  message: string;
  /** What they can do about it. */
  action: string;
}

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

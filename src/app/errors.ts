/**
 * Failures a person can meet in the app, each with a stable code (tests and support docs
 * depend on the codes), what happened, and what to do about it. The words live in
 * strings.ts (`t.errors`) with the rest of the app's words; the codes stay here.
 * @module
 */
import { t } from './strings';

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

/** Builds the person-facing error for a code; `name` is the friend concerned, when known. The words are `t.errors` (strings.ts). */
export function appError(code: AppErrorCode, name?: string): AppError {
  return { code, ...t.errors[code](name || t.friend) };
}

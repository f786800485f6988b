/**
 * What the contact links (`ContactPeer`, made by `ConnectionManager`) report to the app, and the
 * small shared vocabulary around them: a contact's connection state and the frame failures that
 * mean someone is meddling (as opposed to a friend closing the tab).
 * @module
 */
import type { Failure } from '../core/errors';
import type { LinkPeer, TransferLink } from '../net/transfer-types';
import type { AppError, AppErrorCode } from './errors';

/**
 * What the link to a person is doing; `unreachable`: they were at the rendezvous but no WebRTC
 * route was found (CONNECTION_FAILED), until a link comes up or a whole attempt finds nobody.
 */
export type PeerState = 'connected' | 'waiting' | 'connecting' | 'unreachable';

/** Frame failures that mean altered, replayed or reordered traffic (not a cut connection). */
export const TAMPERING = new Set([
  'FRAME_MALFORMED',
  'FRAME_TAMPERED',
  'FRAME_REFLECTED',
  'FRAME_REPLAYED',
  'FRAME_OUT_OF_ORDER',
  'FRAME_BEFORE_CONFIRMATION',
  'FRAME_AFTER_GOODBYE',
]);

export interface ConnectionHooks {
  /**
   * A contact's message was stored or marked delivered. With its id views patch that one message
   * in (docs/app.md "Chat history"); without it they re-read the contact's history.
   */
  messagesChanged(contactKey: string, messageId?: string): void;
  /** A contact's hello changed its display name (docs/app.md "Unread and notices"). */
  renamed?(contactKey: string, from: string, to: string): void;
  /** Something a person should know about went wrong. */
  error(e: AppError): void;
  /** These problems are over (a link came up): take their messages down. */
  resolved(codes: AppErrorCode[]): void;
  /**
   * A verified link to a contact is up. Runs before the app's own `onMessage`, so file transfers
   * (docs/files.md §8) see the messages that arrived before any listener.
   */
  linkUp?(contactKey: string, link: TransferLink, peer: LinkPeer): void;
  /** The session with a contact is agreed on a new link: kept (`fresh` false) or new from a kx (docs/session.md §2). */
  sessionReady?(contactKey: string, e: { sessionId: string; fresh: boolean; forced: boolean }): void;
  /** A ratchet message from the contact was refused (for "decryption keeps failing" triggers). */
  ratchetRefused?(contactKey: string, failure: Failure): void;
  /** The contact's messages held back so far by its receive budget (docs/outbox.md §5); they come again. */
  chatHeldBack?(contactKey: string, count: number): void;
}

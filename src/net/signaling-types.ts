/**
 * Types of the signaling client (src/net/signaling.ts), apart so that the client stays one
 * screenful of behaviour. Re-exported by signaling.ts.
 * @module
 */
import type { MailboxReply } from './relay-protocol';

/** A reply to a request (src/net/mailbox-client.ts), or an error the relay tied to one (`req`). */
export type RelayReply = MailboxReply | { type: 'error'; code: string; message: string; req?: string };

export type SignalingStatus = 'connecting' | 'open' | 'retrying' | 'closed';

export type RoomEvent =
  | { type: 'message'; data: Uint8Array }
  | { type: 'peer-joined' }
  | { type: 'peer-left' }
  | { type: 'subscribed'; peers: number };

/** The subset of the WebSocket API this client uses (browser global and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SignalingOptions {
  /** First retry delay (before jitter). Default 500 ms. */
  minBackoffMs?: number;
  /** Cap on the retry delay. Default 30 s. */
  maxBackoffMs?: number;
  /** WebSocket implementation; defaults to the global one (pass `ws` in node). */
  WebSocket?: WebSocketConstructor;
  /** How often to ping while open. Default 15 s (the relay drops idle sockets after 60 s). */
  pingIntervalMs?: number;
  /** A socket with no traffic for this long after a ping is treated as dead. Default 10 s. */
  pongTimeoutMs?: number;
  /** Uniform [0,1) source for jitter; tests pass a fixed one. */
  random?: () => number;
}

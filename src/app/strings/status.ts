/**
 * The app's status lines: the open chat's connection line (app.svelte.ts `status`), the relay
 * banner's retry time, and the names used when a contact's own is not at hand.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */

export const statusWords = {
  /** What the open chat's connection is doing (`connection-status`). */
  status: {
    blocked: (who: string) => `blocked — Parley does not connect to ${who}`,
    connected: (who: string) => `connected — end-to-end encrypted with ${who}`,
    relayDown: 'offline — the relay server is unreachable, retrying',
    noTurn: (who: string) => `cannot reach ${who} — relay-only is on but this server has no TURN relay`,
    connecting: (who: string) => `connecting to ${who}…`,
    noRoute: (who: string) =>
      `no route to ${who} — you are both online, but your browsers cannot reach each other; retrying`,
    waiting: (who: string) => `waiting for ${who} to come online`,
    /** The relay banner's action while a retry is scheduled; `time` is Intl's clock time. */
    relayRetry: (time: string) => `Retrying by itself (next try at ${time}); check your internet connection.`,
    /** A contact the route line names when the contact record is gone. */
    someContact: 'Your contact',
  },
} as const;

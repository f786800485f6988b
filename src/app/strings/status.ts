/**
 * The app's status lines: the open chat's connection line (chat-status.ts `chatStatus`), the relay
 * banner's retry time, and the names used when a contact's own is not at hand.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */

import { formatCount } from '../format';

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
  /** The open chat's route line (route-view.ts; docs/app.md "Network: TURN and relay-only"). */
  route: {
    relay: 'Through a TURN relay',
    direct: 'Direct connection',
    unknown: 'Route not known yet',
    /** `time` is Intl's milliseconds ("3.3 ms"). */
    roundTrip: (time: string) => `round trip ${time}`,
    hidden: (name: string) => `${name} sees the relay’s address, not yours.`,
    seen: (name: string) =>
      `${name} can see this browser’s IP address; “Hide my IP address” sends everything through the relay.`,
    notReported: 'The browser has not reported which way this connection goes yet.',
    /** The route line's detail: each side's candidate type, then `hidden` or `seen`. */
    detail: (local: string, relayProtocol: string | undefined, remote: string, who: string) =>
      `Your side: ${local} candidate${relayProtocol ? ` (${relayProtocol} to the relay)` : ''}, their side: ${remote} candidate. ${who}`,
  },
  /** Why a message or a name was not taken (chat.svelte.ts, identity.svelte.ts, transfers.svelte.ts). */
  problem: {
    noContact: 'Choose a contact first.',
    tooLong: (max: number) => `Messages can be at most ${formatCount(max)} characters.`,
    starting: 'Parley is still starting; try again in a moment.',
    noName: 'Please type a name your friends will recognise.',
    nameTooLong: (max: number) => `Please keep the name under ${formatCount(max)} characters.`,
    noFileStorage: 'File transfers need browser storage (IndexedDB), which is not available here.',
  },
  /** A contact sends faster than Parley stores (held-back.svelte.ts; docs/app.md "Chat flood"). */
  heldBack: (peer: string, perSecond: number) =>
    `${peer} is sending messages faster than Parley stores them (more than ${formatCount(perSecond)} a second for a while), so some are held back. Nothing is lost: ${peer}'s app keeps each message until it is delivered and sends it again, and they appear here as the pace allows.`,
  /** The chat's `session-notice` after a session reset; `when` is Intl's clock time. */
  resetNotice: (name: string, when: string, cause: 'asked' | 'failures' | 'contact' | 'key') => {
    const why = {
      asked: 'you asked for it',
      failures: `messages from ${name} could not be decrypted`,
      contact: `${name}'s app asked for it`,
      key: `${name}'s new key was accepted`,
    }[cause];
    return `The secure session with ${name} was reset at ${when} (${why}). Earlier messages are kept; new ones use fresh keys.`;
  },
  /** A message one side's Parley cannot handle (peer-features.ts; docs/protocol.md "Compatibility"). */
  versions: {
    what: {
      files: 'files',
      filesV2: 'files from this version',
      everything: 'every kind of message',
      groups: 'group messages',
    },
    ownTooOld: (what: string) => `This Parley is an older version and cannot send ${what}.`,
    reload: 'Reload the page to update Parley.',
    peerTooOld: (name: string, what: string) => `${name}'s Parley is older and cannot receive ${what}.`,
    askReload: (name: string, what: string) => `Ask ${name} to reload Parley to receive ${what}, then try again.`,
  },
  /** What to do when no connection can be made, by the network settings (network.svelte.ts `noRoute`). */
  noRouteAction: {
    turnFailed:
      'The TURN relay gave no working route (it may refuse this server’s credentials, or be down): tell the operator of this Parley server. Parley keeps trying.',
    tryRelay:
      'Try “Hide my IP address from contacts (always relay)”, or another network; if that fails too, tell the operator of this Parley server. Parley keeps trying.',
    serverRequiresRelay: 'Tell the operator of this Parley server: it requires relay-only but offers no TURN relay.',
  },
} as const;

/**
 * The words of every error code (errors.ts `appError`): what happened and what to do.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import type { AppError, AppErrorCode } from '../failure-codes';

/** `s` with its first letter in upper case (a name at the start of a sentence). */
function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const errorWords = {
  /** Who an error is about when the contact is not known. */
  friend: 'your friend',
  /** What happened and what to do, per code (errors.ts `appError`); `who` is the friend concerned. */
  errors: {
    INVITE_MALFORMED: () => ({
      message: 'That is not a Parley invite link.',
      action: 'Copy the whole link again and paste it exactly as you received it.',
    }),
    INVITE_TAMPERED: (who) => ({
      message: 'This invite link was changed after it was made, so it cannot be trusted.',
      action: `Ask ${who} for a fresh invite.`,
    }),
    INVITE_EXPIRED: (who) => ({
      message: 'This invite has expired (invites last 24 hours).',
      action: `Ask ${who} for a new invite.`,
    }),
    INVITE_VERSION: () => ({
      message: 'This invite was made by a newer version of Parley.',
      action: 'Reload the page to update Parley, then open the link again.',
    }),
    INVITE_USED: (who) => ({
      message: 'This invite has already been used by someone else (each invite works once).',
      action: `Ask ${who} for a new invite.`,
    }),
    INVITE_REJECTED: (who) => ({
      message: `${cap(who)} did not accept this invite.`,
      action: `Ask ${who} for a new invite.`,
    }),
    INVITE_OWN: () => ({
      message: 'This is an invite you made yourself.',
      action: 'Send it to a friend; they open it in their browser.',
    }),
    FRIEND_OFFLINE: (who) => ({
      message: `Waiting for ${who} to come online.`,
      action: `Keep this tab open; the chat connects by itself when ${who} opens Parley.`,
    }),
    RELAY_DOWN: () => ({
      message: 'The relay server cannot be reached.',
      action: 'Parley keeps retrying by itself; check your internet connection.',
    }),
    HANDSHAKE_FAILED: () => ({
      message: 'This connection could not be verified — someone may be interfering.',
      action: 'Nothing was sent. Try another network, or meet and exchange a fresh invite.',
    }),
    CONNECTION_FAILED: (who) => ({
      message: `You and ${who} are both online, but no connection could be made between your browsers.`,
      action:
        'A firewall or NAT blocks the direct route and this Parley server has no TURN relay: ask its operator to configure one (TURN_URLS and TURN_SECRET). Parley keeps trying.',
    }),
    TURN_UNAVAILABLE: () => ({
      message: 'Relay-only is on, but this Parley server offers no TURN relay, so no connection can be made.',
      action:
        'Turn off “Hide my IP address from contacts”, or ask the operator of this Parley server to configure TURN (TURN_URLS and TURN_SECRET).',
    }),
    CONTACT_KEY_CHANGED: (who) => ({
      message: `${cap(who)}'s identity key changed, so nothing is sent until you accept the new key.`,
      action: `Compare the new safety number with ${who} in person or on a call, then accept it (or keep the old key).`,
    }),
    // Versions (docs/protocol.md "Compatibility").
    PEER_TOO_OLD: (who) => ({
      message: `${cap(who)}'s Parley is older and cannot receive this.`,
      action: `Ask ${who} to reload Parley, then try again.`,
    }),
    VERSION_TOO_OLD: () => ({
      message: 'This Parley is an older version and cannot send this.',
      action: 'Reload the page to update Parley.',
    }),
    // Pairing and contacts (docs/security.md "Pairing never changes a contact", "Removing and blocking contacts").
    INVITE_KEY_REFUSED: (who) => ({
      message: `${cap(who)}'s Parley refused this invite: it already knows your identity key as a replaced or unconfirmed key of one of its contacts, or has blocked it.`,
      action: `If you replaced your identity key, ${who} has to accept your new key in your existing chat; otherwise ask ${who} why.`,
    }),
    PAIRING_FORMER_KEY: (who) => ({
      message: `An invite was used (or opened) with an identity key that ${who} replaced earlier. Parley refused it: ${who} stays as it was.`,
      action: `Nothing to do. Whoever holds ${who}'s old key may not be ${who}; if ${who} says it was them, they should use their current key.`,
    }),
    PAIRING_PENDING_KEY: (who) => ({
      message: `An invite was used (or opened) with the new identity key ${who} presented, which you have not accepted. Parley refused it: ${who} stays as it was.`,
      action: `Compare the new safety number with ${who} in their chat, and accept it there if it matches.`,
    }),
    PAIRING_BLOCKED_KEY: (who) => ({
      message: `An invite was used (or opened) with the identity key of ${who}, whom you blocked. Parley refused it.`,
      action: `Nothing to do. To talk to ${who} again, unblock them in their chat.`,
    }),
    CONTACT_BLOCKED: (who) => ({
      message: `You blocked ${who}, so nothing is sent to or received from them.`,
      action: `Unblock ${who} above the chat to write again.`,
    }),
    STORAGE_FAILED: () => ({
      message: 'This browser would not let Parley store data.',
      action: 'Leave private browsing mode or allow site data, then reload.',
    }),
    TAB_OWNER_UNREACHABLE: () => ({
      message: 'Another Parley tab holds the connection and did not answer.',
      action: 'Try again in a moment; if it persists, reload that tab or close it (this tab then takes over).',
    }),
    TAB_NOT_OWNER: () => ({
      message: 'Invites work only in the Parley tab that holds the connection.',
      action: 'Open the invite in that tab, or close it: this tab then takes over and opens the invite itself.',
    }),
  } satisfies Record<AppErrorCode, (who: string) => Omit<AppError, 'code'>>,
} as const;

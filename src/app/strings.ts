/**
 * User-facing words of the app in one place (docs/app.md "Words and formats"), so a translation
 * is one more object of this shape: the chat screens, the panels (invites, identity, key change,
 * backup) and the words of every error (their stable codes stay in `errors.ts` and
 * `backup-words.ts`). Numbers, sizes, times and plurals go through `format.ts` (Intl).
 * @module
 */
import { plural } from './format';
import type { AppError, AppErrorCode } from './errors';
import type { BackupStatusCode } from './backup-words';
import { MIN_PASSPHRASE_CHARS } from '../core/backup';

/** `s` with its first letter in upper case (a name at the start of a sentence). */
function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const t = {
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
  invite: {
    heading: 'Invite someone',
    hint: 'An invite works once, for 24 hours. Send it through a channel you trust.',
    create: 'Invite someone',
    again: 'New invite',
    link: 'Invite link',
    copy: 'Copy',
    copied: 'Copied',
    qrAlt: 'QR code of the invite link',
    used: 'This invite has been used — your friend is in your contacts. Make a new one for someone else.',
    expires: (when: string) => `Expires ${when}. Keep this tab open until your friend has joined.`,
  },
  openInvite: {
    heading: 'Got an invite?',
    paste: 'Paste an invite link',
    open: 'Open',
    cancel: 'Cancel',
    waiting: (name: string) => `Waiting for ${name} to come online…`,
    unreachable: (name: string) => `${name} is online, but no connection could be made — retrying…`,
    verifying: (name: string) => `Verifying the connection to ${name}…`,
  },
  /** "Connect to …?" for an opened invite (docs/app.md "Invites (invitee)"). */
  inviteAsk: {
    someone: 'Someone',
    invites: 'invites you to chat',
    unverified: 'name not verified',
    hint: (who: string) =>
      `The name comes from the link, and anyone can write any name into a link. Connect only if you expected an invite from ${who}: Parley then sends your name and your key to whoever made it, and keeps them as a contact. After connecting, compare safety numbers to be sure.`,
    expires: (when: string) => `Expires ${when}.`,
    connect: 'Connect',
    cancel: 'Cancel',
  },
  identity: {
    heading: 'Your identity',
    fingerprint: "Your key's fingerprint:",
    replaceHeading: 'Replace my identity key',
    replaceHint:
      "If you think someone copied this browser's data or a backup file, make a new key. Your name, contacts and messages stay; every contact becomes unverified, your open invites stop working, and each contact is warned that your key changed and has to accept it — compare safety numbers with them again.",
    replace: 'Replace my identity key…',
    confirmAsk: 'Make a new identity key now?',
    confirmHint: 'This cannot be undone; your contacts will see a warning until they accept the new key.',
    confirm: 'Yes, replace my key',
    cancel: 'Cancel',
    build: (build: string) => `Parley ${build}`,
  },
  /** The warning while a contact's key change is pending (docs/key-change.md §2). */
  keyChange: {
    heading: (who: string) => `${who}'s identity key changed`,
    /** Followed by when, in brackets, then `why`. */
    reached: (who: string) => `Someone reached you as ${who} with a different key`,
    why: (who: string) =>
      `Either ${who} moved to a new key — for example after replacing it or setting Parley up again — or someone who got hold of your shared secret is impersonating ${who}. Nothing is sent until you decide.`,
    labelled: (label: string, chosen: string) =>
      `“${label}” is your own name for them; the new key came as the contact who calls themselves “${chosen}”.`,
    compare: (who: string) => `Compare this new safety number with ${who} in person or on a call:`,
    accept: 'The numbers match: accept the new key',
    refuse: 'Keep the old key',
  },
  /** The chat header's safety number (docs/key-change.md §1). */
  verify: {
    summary: (who: string) => `Verify ${who}`,
    whose: (chosen: string) => `The key of this chat belongs to the person who calls themselves “${chosen}”.`,
    compare: (who: string) =>
      `Compare this number with ${who}, in person or on a call. If it is the same on both screens, nobody is in the middle.`,
    mark: 'The numbers match: mark as verified',
    unmark: 'Remove the verified mark',
  },
  backup: {
    encrypting: 'Encrypting your backup…',
    ready: 'Backup ready. Save the file, and keep the passphrase somewhere else: without it the file cannot be opened.',
    unlocking: 'Unlocking the backup…',
    /** Asked before a backup of another identity replaces the one in use (`current`: its name). */
    replaceAsk: (name: string, contacts: number, current: string) =>
      `This backup holds ${name || 'an identity without a name'} with ${plural(contacts, { one: '# contact', other: '# contacts' })}. Importing it replaces ${current || 'the identity'} in this browser: its contacts and messages here are removed.`,
    cancelled: 'Import cancelled; nothing was changed.',
    imported: (name: string) => `Backup imported. Opening Parley as ${name || 'the imported identity'}…`,
    /** What happened and what to do, per backup code (backup-words.ts `backupError`). */
    errors: {
      BACKUP_WEAK_PASSPHRASE: [
        'This passphrase is too weak to protect your identity.',
        `Use at least ${MIN_PASSPHRASE_CHARS} characters, not just a few repeated ones — a few random words work well.`,
      ],
      BACKUP_PASSPHRASE_MISMATCH: ['The two passphrases are not the same.', 'Type the same passphrase in both fields.'],
      BACKUP_WRONG_PASSPHRASE: [
        'Wrong passphrase for this backup. Nothing was imported.',
        'Type the passphrase chosen when the backup was made (check Caps Lock and the keyboard layout).',
      ],
      BACKUP_TAMPERED: [
        'This backup file is damaged or was changed after it was made. Nothing was imported.',
        'Use another copy of the file, or export a new backup in the browser you made it in.',
      ],
      BACKUP_MALFORMED: [
        'This file is not a Parley backup, or it is incomplete. Nothing was imported.',
        'Choose the .parley file Parley saved; if it was copied, copy it again in full.',
      ],
      BACKUP_VERSION: [
        'This backup was made by a newer version of Parley.',
        'Reload the page to update Parley, then import it again.',
      ],
      BACKUP_NO_FILE: ['No backup file chosen.', 'Choose the .parley file first.'],
      BACKUP_UNREADABLE: [
        'This browser could not read the chosen file.',
        'Choose the file again; if it is on a removable drive, copy it here first.',
      ],
      STORAGE_FAILED: [
        'This browser would not let Parley store the imported identity. Nothing was changed.',
        'Leave private browsing mode or allow site data, then try again.',
      ],
    } satisfies Record<BackupStatusCode, readonly [text: string, action: string]>,
  },
  composer: {
    label: (peer: string) => `Message to ${peer}`,
    placeholder: (peer: string) => `Message ${peer}`,
    hint: 'Enter sends; Shift+Enter starts a new line. You can paste or drop files here.',
    send: 'Send',
    files: 'Files…',
    filesLabel: (peer: string) => `Send files to ${peer}`,
    filesTitle: (peer: string) => `Send files to ${peer} (or paste or drop them on the chat)`,
  },
  chat: {
    region: (peer: string) => `Chat with ${peer}`,
    log: (peer: string) => `Messages with ${peer}`,
    back: 'Contacts',
    backLabel: 'Back to the contact list',
    empty: 'No chat open',
    emptyHint: 'Invite a friend, or open an invite a friend sent you. Chats appear here.',
    jumpToLatest: 'Jump to latest',
    newBelow: (n: number) => plural(n, { one: '# new message', other: '# new messages' }),
    loadOlder: 'Show older messages',
    loadingOlder: 'Loading older messages…',
    from: (sender: string) => `${sender}:`,
    you: 'You',
    notShown: (peer: string) => `${peer}'s Parley could not show this: ask ${peer} to reload Parley.`,
  },
  state: {
    pending: { mark: '🕓', label: 'pending', title: 'Waiting to be sent: kept until a link is up' },
    mailbox: {
      mark: '✓',
      label: 'sent — waiting for them to come online',
      title: 'Left end-to-end encrypted at the relay: their Parley fetches it when they come online',
    },
    sent: { mark: '✓', label: 'sent', title: 'Sent, not yet confirmed by the other side' },
    delivered: { mark: '✓✓', label: 'delivered', title: 'Delivered: the other side confirmed it' },
  },
  /** A message left at the relay, waiting for `peer` by name (docs/app.md "Mailbox"). */
  mailboxState: (peer: string) => ({
    mark: '✓',
    label: `sent — waiting for ${peer} to come online`,
    title: `Left end-to-end encrypted at the relay: ${peer}'s Parley fetches it when ${peer} comes online, and it shows as delivered then.`,
  }),
  contacts: {
    heading: 'Contacts',
    none: 'No contacts yet. Invite someone or open an invite.',
    online: '(online)',
    offline: '(offline)',
    unread: (n: number) => plural(n, { one: '# unread', other: '# unread' }),
    chose: (name: string) => `calls themselves ${name}`,
  },
  rename: {
    open: 'Rename',
    openLabel: (name: string) => `Rename ${name} (only on this device)`,
    label: 'Your name for this contact',
    hint: (chosen: string) =>
      `Only you see it. They call themselves “${chosen}”. Leave it empty to use their name again.`,
    save: 'Save',
    cancel: 'Cancel',
    tooLong: 'Too long: only the start is kept.',
  },
  /**
   * Why a transfer failed, in words a person can act on (docs/app.md "Files"); the core's
   * technical message stays in the failure for logs, the code is shown for support.
   */
  transferFailed: {
    TRANSFER_HASH_MISMATCH: 'a piece of the file arrived damaged or altered, so it was thrown away. Send it again.',
    TRANSFER_FILE_HASH_MISMATCH:
      'the received file does not match what was sent, so it was thrown away. Send it again.',
    TRANSFER_HASH_LIST_MISMATCH: 'the file’s checksums did not add up, so nothing was kept. Send it again.',
    TRANSFER_IO:
      'this browser could not read or write the file (storage full, or the file moved). Free some space or pick the file again.',
    TRANSFER_TOO_LARGE: 'the file is larger than Parley accepts.',
    TRANSFER_SIZE_OVERFLOW: 'more data arrived than the file’s size allows, so it was stopped. Send it again.',
    TRANSFER_STALLED:
      'nothing arrived for a long time. It carries on when you are both online; otherwise send it again.',
    TRANSFER_VERSION: 'the other side’s Parley handles files differently. Both should update Parley.',
    other:
      'the other side’s Parley sent something this one did not understand. Send the file again; if it keeps failing, both should update Parley.',
  } as Record<string, string> & { other: string },
} as const;

/** The words for a failed transfer with `code` (see `t.transferFailed`), with the code for support. */
export function transferFailedText(code: string): string {
  return `${t.transferFailed[code] ?? t.transferFailed.other} (${code})`;
}

/** Files in a group (docs/groups.md §7): the offer's buttons and what came of an answer. */
export const groupFileWords = {
  pick: 'Offer files to the group',
  offered: (n: number) => `${n === 1 ? 'A file' : `${n} files`} offered to the group`,
  accept: 'Accept',
  decline: 'Decline',
  tooMany: (max: number) => `A group offer holds at most ${max} files: pick fewer.`,
  tooLarge: 'These files are too large to offer to a group: pick smaller ones.',
  unreadable: 'Could not read the chosen file (moved, deleted, or no permission). Pick it again.',
  answer: {
    requested: 'Asked for it; it comes when the sender is online.',
    declined: 'You declined.',
    receiving: 'Receiving…',
    received: 'Received.',
    mismatch: 'What arrived is not the file that was offered, so do not trust it. Ask the sender to offer it again.',
    gone: 'No longer available: the sender’s page was closed or reloaded. Ask them to offer it again.',
    stopped: 'The transfer stopped before the file was complete. Ask the sender to offer it again.',
  },
  save: 'Save',
} as const;

/**
 * User-facing words of the chat screens in one place (docs/app.md "Words and formats"), so a
 * translation is one more object of this shape. Numbers, sizes, times and plurals go through
 * `format.ts` (Intl). Error texts with stable codes stay in `errors.ts`.
 * @module
 */
import { plural } from './format';

export const t = {
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

/**
 * The words of the chat screens: composer, message list, states, contact list, rename form.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import { plural } from '../format';

export const chatWords = {
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
  /** The chat header's marks and actions (ChatView). */
  chatHead: {
    verified: '✔ verified',
    verifiedTitle: 'You compared safety numbers',
    reset: 'Reset secure session',
    resetting: 'Resetting secure session…',
    resetTitle: (who: string) => `Agree fresh keys with ${who} (if messages stop arriving or fail to decrypt)`,
    ok: 'OK',
  },
  /** Marks in the contact list (ContactList). */
  contactMarks: {
    verifiedTitle: 'Safety number verified',
    verified: ' verified',
    unread: ' unread',
  },
  /** Block and remove (ContactActions; docs/security.md "Removing and blocking contacts"). */
  contactActions: {
    blocked: 'blocked',
    block: 'Block',
    unblock: 'Unblock',
    blockTitle: (name: string) => `Stop connecting to ${name} and refuse their key; the chat stays`,
    unblockTitle: (name: string) => `Meet ${name} again`,
    remove: 'Remove contact…',
    removeAsk: (name: string) => `Remove ${name}?`,
    removeHint:
      'Parley stops connecting to them and forgets their key, the secure session and the messages not yet delivered. To talk again, one of you sends a new invite.',
    removeHistory: (name: string) => `Also delete the chat history and files with ${name}`,
    confirm: 'Remove',
    cancel: 'Cancel',
  },
} as const;

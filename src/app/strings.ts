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
  },
  state: {
    pending: { mark: '🕓', label: 'pending', title: 'Waiting to be sent: kept until a link is up' },
    sent: { mark: '✓', label: 'sent', title: 'Sent, not yet confirmed by the other side' },
    delivered: { mark: '✓✓', label: 'delivered', title: 'Delivered: the other side confirmed it' },
  },
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
    tooLong: (max: number) => `At most ${max} characters.`,
  },
} as const;

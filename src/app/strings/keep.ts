/**
 * The words of the app shell and of the panels that keep the app (docs/pwa.md): the header, the
 * tab follower note, connection privacy (relay-only), updates, notifications, storage and the
 * share sheet. Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import { formatCount, plural } from '../format';

export const keepWords = {
  shell: {
    title: 'Parley',
    youAre: 'You are',
    backup: 'Backup',
    identity: 'Identity',
    loading: 'Opening Parley…',
    /** This tab works through the tab that holds the connection (docs/app.md "Tabs"). */
    follower:
      'Another Parley tab holds the connection: this one works through it, and takes over when that tab closes.',
  },
  /** "Hide my IP address from contacts" (docs/app.md "Network: TURN and relay-only"). */
  network: {
    heading: 'Connection privacy',
    relayOnly: 'Hide my IP address from contacts (always relay)',
    required:
      'This server requires it: every connection goes through its TURN relay, so contacts never see your IP address.',
    on: "Every connection goes through the server's TURN relay: contacts see the relay's address, never yours. It can be slower.",
    off: 'Connections go directly between browsers when they can, so a contact can see your IP address.',
    notSaved: 'This browser would not let Parley store the setting: it holds until you close this page.',
  },
  update: {
    elsewhere: 'Parley was updated in another tab.',
    ready: 'A new version of Parley is ready.',
    /** `will`: the reload is decided (clicked, or another tab updated). */
    waits: (will: boolean) =>
      `A file transfer is running: Parley ${will ? 'will reload' : 'can reload'} when it ends, so the transfer is not interrupted.`,
    reloading: 'Reloading after the transfer…',
    reload: 'Reload',
  },
  notifications: {
    heading: 'Notifications',
    unsupported: 'This browser cannot show notifications.',
    denied:
      "Notifications are blocked for this site. To get them, allow notifications for Parley in your browser's site settings.",
    on: 'On: you get a notification when a message or a file arrives while Parley is in the background.',
    preview: 'Show the message text and file names (anyone who sees your screen can read them)',
    disable: 'Turn off notifications',
    off: 'Off.',
    enable: 'Turn on notifications',
    offer: 'Get a notification when a message or a file arrives while Parley is in the background?',
    notNow: 'Not now',
  },
  storage: {
    heading: 'Storage',
    kept: 'Kept by this browser when space runs low:',
    yes: 'yes',
    no: 'no',
    unknown: 'no (this browser does not say)',
    risk: "The browser may delete Parley's data to free space (Safari does after 7 days without a visit). Your identity key would go with it: you would lose your contacts, and each of them would see a warning that your key changed. A backup file keeps your identity safe.",
    backup: 'Make a backup…',
    request: 'Ask the browser to keep it',
  },
  /** The tab title, the unread notices and the system notifications (attention.ts, notify.ts). */
  attention: {
    title: (unread: number) => (unread > 0 ? `(${formatCount(unread)}) Parley` : 'Parley'),
    offerNotice: (name: string, files: number) =>
      `${name} wants to send you ${plural(files, { one: 'a file', other: '# files' })} — open chat`,
    renamed: (from: string, to: string) => `${from} is now called ${to}`,
    newMessage: 'New message',
    wantsFiles: (files: number) => `Wants to send you ${plural(files, { one: 'a file', other: '# files' })}`,
    /** A file offer with previews on: the first file's name, and how many more. */
    wantsNamed: (first: string, more: number) =>
      `Wants to send you ${first}${more > 0 ? ` and ${formatCount(more)} more` : ''}`,
  },
  share: {
    heading: 'Share to…',
    droppedFiles: (n: number) =>
      plural(n, {
        one: '# more file was left out (too many or too large). ',
        other: '# more files were left out (too many or too large). ',
      }),
    textCut: 'The text was cut to the longest message Parley sends.',
    noContacts: 'You have no contacts yet: invite someone first, then share again.',
    sendTo: 'Send to',
    sendToName: (name: string) => `Send to ${name}`,
    pick: 'Pick a contact',
    cancel: 'Cancel',
    notKept: 'Parley could not keep what you shared (the browser refused to store it). Try sharing it again.',
    unreadable: 'Parley could not read what you shared. Try sharing it again.',
  },
} as const;

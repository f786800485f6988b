/**
 * The words of the panels: invites, identity, key change, safety number, backup.
 * Part of `t` (src/app/strings.ts), the one entry point for the app's words.
 * @module
 */
import { plural } from '../format';
import type { BackupStatusCode } from '../failure-codes';
import { MIN_PASSPHRASE_CHARS } from '../../core/backup';

export const panelWords = {
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
  /** The backup panel's form (BackupPanel, BackupImportForm, BackupRestore, BackupStatus, BackupSuggest). */
  backupPanel: {
    heading: 'Backup',
    hint: 'Save your identity and contacts in a file locked with a passphrase, to open Parley as you in another browser. Messages are not included.',
    passphrase: 'Passphrase',
    weak: `Too weak: use at least ${MIN_PASSPHRASE_CHARS} characters, not just a few repeated ones (a few random words work well).`,
    strong: 'Long enough. Longer is stronger.',
    again: 'Same passphrase again',
    differ: 'The two passphrases differ.',
    export: 'Export backup',
    save: (file: string) => `Save ${file}`,
    importHeading: 'Import a backup',
    importHint: 'Replaces the identity in this browser (you are asked first).',
    file: 'Backup file (.parley)',
    itsPassphrase: 'Its passphrase',
    import: 'Import backup',
    replace: 'Replace',
    cancel: 'Cancel',
    restoreHeading: 'Already use Parley in another browser?',
    restoreHint:
      'Import the backup file you exported there: your identity and contacts come back, and your contacts reconnect by themselves.',
    deriving: 'Deriving the key from the passphrase',
    suggest:
      'You have a contact now. Make a backup of your identity: if this browser loses its data, the backup brings back you and your contacts.',
    suggestOpen: 'Make a backup…',
    notNow: 'Not now',
  },
  /** The first screen (NameForm). */
  welcome: {
    heading: 'Welcome to Parley',
    hint: "Messages go straight from your browser to your friend's, end-to-end encrypted. Your keys never leave this browser.",
    invite: 'You opened an invite. Choose your name first, then Parley connects you.',
    name: 'Your name, as your friends will see it',
    save: 'Continue',
  },
  /** An error's box (ErrorBanner, BackupStatus). */
  banner: {
    code: 'Error code:',
    dismiss: 'Dismiss this message',
  },
} as const;

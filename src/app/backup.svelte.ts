/**
 * The "Backup" panel's state: exporting the identity and contacts as a passphrase-encrypted
 * file (a normal browser download) and importing one, on the first visit or later
 * (docs/backup.md for the file, docs/app.md "Backup" for the flow). scrypt runs through
 * `scryptAsync`, so the page keeps painting and `progress` moves while it works.
 *
 * Importing over an identity that is in use (a name or contacts) waits for an explicit
 * confirmation; then the store is rewritten in one transaction and the page reloads, so every
 * part of the app starts afresh as the imported identity.
 * @module
 */
import { exportBackup, importBackup, MAX_BACKUP_BYTES, type BackupData } from '../core/backup';
import type { ContactRecord, IdentityRecord, ParleyStore } from '../store/db';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import { cleanLabel, cleanName } from './names';
import { t } from './strings';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex as toHex, randomBytes } from '@noble/hashes/utils.js';
import { formerKeysOf, restoredContact, restoredMatch } from './contact-guard';
import {
  backupError,
  backupFileName,
  isWeakPassphrase,
  type BackupStatus,
  type BackupStatusCode,
} from './backup-words';

export type { BackupStatus, BackupStatusCode } from './backup-words';

const IDLE: BackupStatus = { state: 'idle', text: '' };

export class BackupState {
  passphrase = $state('');
  confirm = $state('');
  importPassphrase = $state('');
  importFile = $state<File | null>(null);
  status = $state.raw<BackupStatus>(IDLE);
  /** scrypt progress 0..1 while `status.state` is 'working'. */
  progress = $state(0);
  /** The finished export, offered as a download link. */
  download = $state.raw<{ url: string; fileName: string } | null>(null);
  /** A decrypted backup waiting for "Replace" (an identity is already in use here). */
  pending = $state.raw<BackupData | null>(null);

  readonly weak = $derived(this.passphrase !== '' && isWeakPassphrase(this.passphrase));
  readonly mismatch = $derived(this.confirm !== '' && this.confirm !== this.passphrase);
  readonly busy = $derived(this.status.state === 'working');

  constructor(
    private readonly store: ParleyStore,
    private readonly identity: IdentityState,
    private readonly contacts: ContactsState,
    /** Restarts the app once the store holds the imported identity (the page reloads). */
    private readonly restart: () => void,
  ) {}

  /** Whether importing would replace an identity someone is using (a name or contacts). */
  private get identityInUse(): boolean {
    return this.identity.name !== '' || this.contacts.list.length > 0;
  }

  async export(): Promise<void> {
    if (this.busy) return;
    if (isWeakPassphrase(this.passphrase)) {
      this.status = backupError('BACKUP_WEAK_PASSPHRASE');
      return;
    }
    if (this.confirm !== this.passphrase) {
      this.status = backupError('BACKUP_PASSPHRASE_MISMATCH');
      return;
    }
    this.clearDownload();
    this.begin(t.backup.encrypting);
    const name = cleanName(this.identity.name);
    const r = await exportBackup(
      {
        identity: this.identity.keyPair(),
        name,
        contacts: this.contacts.list.map((c) => ({
          publicKey: c.publicKey,
          name: cleanName(c.name),
          contactSecret: c.contactSecret,
          verified: c.verified ?? false,
          addedAt: c.addedAt,
          // Schema 2: a replaced key stays refused, a blocked contact stays blocked (contact-guard.ts).
          formerKeys: formerKeysOf(c),
          blocked: c.blocked ?? false,
          // Schema 3: the person's own label (already clean: contacts.svelte.ts `withLabel`).
          label: cleanLabel(c.label),
        })),
      },
      this.passphrase,
      {
        random: randomBytes,
        now: Date.now(),
        onProgress: (f) => {
          this.progress = f;
        },
      },
    );
    if (!r.ok) {
      this.status = backupError(r.code as BackupStatusCode);
      return;
    }
    const blob = new Blob([r.bytes.slice()], { type: 'application/octet-stream' });
    this.download = { url: URL.createObjectURL(blob), fileName: backupFileName(name, new Date()) };
    this.passphrase = '';
    this.confirm = '';
    this.status = {
      state: 'done',
      text: t.backup.ready,
    };
  }

  chooseFile(file: File | null): void {
    this.importFile = file;
    this.pending = null;
    if (this.status.state !== 'working') this.status = IDLE;
  }

  /** Decrypts the chosen file; applies it at once, or asks first when an identity is in use. */
  async import(): Promise<void> {
    if (this.busy) return;
    const file = this.importFile;
    if (!file) {
      this.status = backupError('BACKUP_NO_FILE');
      return;
    }
    this.pending = null;
    // Larger than any backup: refuse before reading it into memory.
    if (file.size > MAX_BACKUP_BYTES) {
      this.status = backupError('BACKUP_MALFORMED');
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch {
      this.status = backupError('BACKUP_UNREADABLE');
      return;
    }
    this.begin(t.backup.unlocking);
    const r = await importBackup(bytes, this.importPassphrase, {
      onProgress: (f) => {
        this.progress = f;
      },
    });
    if (!r.ok) {
      this.status = backupError(r.code);
      return;
    }
    this.importPassphrase = '';
    const me = this.identity.record;
    const same = !!me && equalBytes(me.publicKey, r.data.identity.publicKey);
    if (!same && this.identityInUse) {
      this.pending = r.data;
      this.status = {
        state: 'confirm',
        text: t.backup.replaceAsk(r.data.name, r.data.contacts.length, this.identity.name),
      };
      return;
    }
    await this.apply(r.data, same);
  }

  /** "Replace": applies the backup waiting for confirmation. */
  async confirmImport(): Promise<void> {
    const data = this.pending;
    if (!data || this.busy) return;
    this.pending = null;
    await this.apply(data, false);
  }

  cancelImport(): void {
    this.pending = null;
    this.status = { state: 'idle', text: t.backup.cancelled };
  }

  private async apply(data: BackupData, sameIdentity: boolean): Promise<void> {
    const now = Date.now();
    const identity: IdentityRecord = {
      id: 'self',
      seed: data.identity.secretKey.slice(0, 32),
      publicKey: data.identity.publicKey.slice(),
      // Restoring the same identity keeps the name chosen here when the backup has none.
      name: data.name || (sameIdentity ? this.identity.name : ''),
      createdAt: this.identity.record?.createdAt ?? now,
    };
    // A contact whose key changed keeps its first key's hex as id (docs/key-change.md §2): the
    // same identity restored again updates that record instead of adding a second one, and keeps
    // what this browser learnt since (a newer key, former keys, blocked: contact-guard.ts).
    const contacts: ContactRecord[] = data.contacts.map((c) => {
      const old = sameIdentity ? restoredMatch(this.contacts.list, c) : undefined;
      return restoredContact(old, {
        key: old?.key ?? toHex(c.publicKey),
        publicKey: c.publicKey,
        name: c.name || 'Friend',
        contactSecret: c.contactSecret,
        addedAt: c.addedAt,
        lastSeen: 0,
        verified: c.verified,
        ...(c.formerKeys?.length ? { formerKeys: c.formerKeys } : {}),
        ...(c.blocked ? { blocked: true } : {}),
        // The backup's label; an older backup (no labels) keeps the one this browser has.
        ...labelOf(c.label || old?.label),
      });
    });
    try {
      await this.store.replaceIdentity(identity, contacts, sameIdentity);
    } catch {
      this.status = backupError('STORAGE_FAILED');
      return;
    }
    this.status = {
      state: 'done',
      text: t.backup.imported(identity.name),
    };
    this.restart();
  }

  private begin(text: string): void {
    this.progress = 0;
    this.status = { state: 'working', text };
  }

  private clearDownload(): void {
    if (this.download) URL.revokeObjectURL(this.download.url);
    this.download = null;
  }
}

function labelOf(label: string | undefined): { label?: string } {
  const clean = cleanLabel(label);
  return clean ? { label: clean } : {};
}

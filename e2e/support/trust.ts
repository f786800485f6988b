/**
 * Helpers for the pairing and contact attack specs (docs/security.md "Pairing never changes a
 * contact", "Invites ask first", "Removing and blocking contacts"): backups made and restored
 * through the real UI, replacing one's key, and snapshots of what a page stores about a contact.
 */
import { expect, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { readStore } from './session';

export const PASSPHRASE = 'correct horse battery staple';
/** The default scrypt cost runs for real in every export and import. */
export const SCRYPT = { timeout: 60_000 };

/** Exports the page's identity through the Backup panel; returns the file's bytes. */
export async function exportBackupFile(page: Page): Promise<Buffer> {
  await page.getByTestId('backup-open').click();
  await page.getByTestId('backup-passphrase').fill(PASSPHRASE);
  await page.getByTestId('backup-passphrase-confirm').fill(PASSPHRASE);
  await page.getByTestId('backup-export').click();
  await expect(page.getByTestId('backup-download')).toBeVisible(SCRYPT);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('backup-download').click()]);
  const file = await readFile(await download.path());
  await page.getByTestId('backup-open').click();
  return file;
}

/** Imports a backup file through the panel offered on the first visit (the page shows the name form). */
export async function importBackupFile(page: Page, file: Buffer): Promise<void> {
  await page
    .getByTestId('backup-import-file')
    .setInputFiles({ name: 'backup.parley', mimeType: 'application/octet-stream', buffer: file });
  await page.getByTestId('backup-import-passphrase').fill(PASSPHRASE);
  await page.getByTestId('backup-import-submit').click();
}

/** "Replace my identity key" with its confirmation; the page reloads with the new key. */
export async function rotateIdentity(page: Page): Promise<void> {
  await page.getByTestId('identity-open').click();
  await page.getByTestId('identity-rotate').click();
  await Promise.all([page.waitForEvent('load'), page.getByTestId('identity-rotate-confirm').click()]);
}

/** Marks the open chat's contact verified (the safety-number box's button). */
export async function markVerified(page: Page): Promise<void> {
  const details = page.locator('details.safety');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  await page.getByTestId('contact-verify').click();
  await expect(page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
}

const hex = (v: unknown) =>
  Array.from(Object.values(v as Record<number, number>), (b) => b.toString(16).padStart(2, '0')).join('');

/** A contact record as stored, with bytes as hex and `lastSeen` left out (a link coming up moves it). */
export interface ContactSnapshot {
  key: string;
  publicKey: string;
  name: string;
  contactSecret: string;
  verified: boolean;
  keyChange: string | null;
  formerKeys: string[];
  blocked: boolean;
}

/** Every contact the page stores, as {@link ContactSnapshot}s. */
export async function contactSnapshots(page: Page): Promise<ContactSnapshot[]> {
  const rows = await readStore<Record<string, unknown>>(page, 'contacts');
  return rows.map((c) => ({
    key: c.key as string,
    publicKey: hex(c.publicKey),
    name: c.name as string,
    contactSecret: hex(c.contactSecret),
    verified: !!c.verified,
    keyChange: c.keyChange ? hex((c.keyChange as { newKey: unknown }).newKey) : null,
    formerKeys: ((c.formerKeys as unknown[] | undefined) ?? []).map(hex),
    blocked: !!c.blocked,
  }));
}

/** The page's session rows (ratchet state, outbox, inbox) as JSON, for an exact before/after comparison. */
export async function sessionSnapshot(page: Page): Promise<string> {
  return JSON.stringify(await readStore(page, 'sessions'));
}

/** Deletes every contact and session row of the page (a thief's own browser: she may change it as she likes). */
export async function forgetContacts(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('parley');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const tx = db.transaction(['contacts', 'sessions'], 'readwrite');
    tx.objectStore('contacts').clear();
    tx.objectStore('sessions').clear();
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  });
}

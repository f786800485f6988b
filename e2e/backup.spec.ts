/**
 * Identity backup (docs/app.md "Backup", docs/backup.md): Alice exports her identity as a
 * download, her browser goes away, and a fresh browser imports the file — after refusing a
 * wrong passphrase and a truncated file — then reconnects to Bob by itself as the same person.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { person, pairedPeople, expectConnected, send, message, contextOptions, type Person } from './support/app';

const PASSPHRASE = 'correct horse battery staple';
const SCRYPT = { timeout: 60_000 }; // the default scrypt cost runs for real, twice per import attempt at most

async function importFile(page: Page, bytes: Buffer, passphrase: string): Promise<void> {
  await page
    .getByTestId('backup-import-file')
    .setInputFiles({ name: 'backup.parley', mimeType: 'application/octet-stream', buffer: bytes });
  await page.getByTestId('backup-import-passphrase').fill(passphrase);
  await page.getByTestId('backup-import-submit').click();
}

test.describe('identity backup', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

  test('export as a download, refuse a wrong passphrase and a damaged file, import in a fresh browser and carry on chatting with Bob', async ({
    browser,
  }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    const safety = await bob.page.getByTestId('safety-number').textContent();
    expect(safety).toMatch(/^(\d{5} ){11}\d{5}$/);
    await send(alice, 'Before the move');
    await expect(message(bob, 'Before the move')).toHaveAttribute('data-direction', 'in');

    // Export: a weak passphrase is refused with its code, then a good one gives a download.
    await alice.page.getByTestId('backup-open').click();
    await alice.page.getByTestId('backup-passphrase').fill('aaaaaaaaaaaa');
    await expect(alice.page.getByTestId('backup-strength')).toHaveAttribute('data-code', 'BACKUP_WEAK_PASSPHRASE');
    await alice.page.getByTestId('backup-passphrase-confirm').fill('aaaaaaaaaaaa');
    await alice.page.getByTestId('backup-export').click();
    await expect(alice.page.getByTestId('backup-status')).toHaveAttribute('data-code', 'BACKUP_WEAK_PASSPHRASE');
    await expect(alice.page.getByTestId('backup-download')).toHaveCount(0);
    await alice.page.getByTestId('backup-passphrase').fill(PASSPHRASE);
    await alice.page.getByTestId('backup-passphrase-confirm').fill(PASSPHRASE);
    await alice.page.getByTestId('backup-export').click();
    await expect(alice.page.getByTestId('backup-download')).toBeVisible(SCRYPT);
    await expect(alice.page.getByTestId('backup-status')).toHaveAttribute('data-state', 'done');
    const [download] = await Promise.all([
      alice.page.waitForEvent('download'),
      alice.page.getByTestId('backup-download').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^parley-backup-Alice-\d{4}-\d{2}-\d{2}\.parley$/);
    const file = await readFile(await download.path());
    expect(file.subarray(0, 8).toString('latin1')).toBe('PARLEYBK');

    // Two live copies of one identity are out of scope: Alice's first browser goes away first.
    await alice.context.close();
    await expect(bob.page.getByTestId('connection-status')).toContainText('waiting for Alice to come online');

    // Someone who already uses Parley is asked before their identity is replaced; cancelling keeps it.
    const carol = await person(browser, 'Carol');
    people.push(carol);
    await carol.page.getByTestId('backup-open').click();
    await importFile(carol.page, file, PASSPHRASE);
    await expect(carol.page.getByTestId('backup-status')).toHaveAttribute('data-state', 'confirm', SCRYPT);
    await expect(carol.page.getByTestId('backup-status')).toContainText('Alice');
    await carol.page.getByTestId('backup-import-cancel').click();
    await carol.page.reload();
    await expect(carol.page.getByTestId('own-name')).toHaveText('Carol');
    await expect(carol.page.getByTestId('contact-item')).toHaveCount(0);

    // A fresh browser: the import is offered next to choosing a name.
    const context = await browser.newContext(contextOptions());
    const page = await context.newPage();
    const alice2: Person = { name: 'Alice', context, page };
    people.push(alice2);
    await page.goto('/');
    await expect(page.getByTestId('display-name-input')).toBeVisible();

    // Typed failures a person can act on: a newer format, not a backup at all, a wrong passphrase, a cut-off file.
    const newer = Buffer.from(file);
    newer[8] = 2;
    await importFile(page, newer, PASSPHRASE);
    await expect(page.getByTestId('backup-status')).toHaveAttribute('data-code', 'BACKUP_VERSION');
    await expect(page.getByTestId('backup-status')).toContainText('newer version');
    await importFile(page, Buffer.from('these are my holiday photos'), PASSPHRASE);
    await expect(page.getByTestId('backup-status')).toHaveAttribute('data-code', 'BACKUP_MALFORMED');

    await importFile(page, file, 'correct horse battery stapler');
    await expect(page.getByTestId('backup-status')).toHaveAttribute('data-code', 'BACKUP_WRONG_PASSPHRASE', SCRYPT);
    await expect(page.getByTestId('backup-status')).toContainText('Wrong passphrase');

    await importFile(page, file.subarray(0, file.length - 10), PASSPHRASE);
    await expect(page.getByTestId('backup-status')).toHaveAttribute('data-code', 'BACKUP_TAMPERED', SCRYPT);
    await expect(page.getByTestId('backup-status')).toContainText('damaged');
    await expect(page.getByTestId('display-name-input')).toBeVisible(); // nothing was imported

    await importFile(page, file, PASSPHRASE);
    await expect(page.getByTestId('own-name')).toHaveText('Alice', SCRYPT);
    await expect(page.getByTestId('contact-item')).toHaveCount(1);
    await expect(page.getByTestId('contact-item')).toContainText('Bob');

    // She reconnects to Bob by herself, as the same person: same safety number, same conversation.
    await expectConnected(alice2, 'Bob');
    await expectConnected(bob, 'Alice');
    await expect(page.getByTestId('safety-number')).toHaveText(safety!);
    await expect(bob.page.getByTestId('safety-number')).toHaveText(safety!);
    await send(alice2, 'After the move');
    await expect(message(bob, 'After the move')).toHaveAttribute('data-direction', 'in');
    await expect(bob.page.getByTestId('contact-item')).toHaveCount(1);
    await expect(message(bob, 'Before the move')).toBeVisible();
    await expect(message(alice2, 'After the move')).toHaveAttribute('data-delivered', 'true');
    await send(bob, 'Welcome to your new browser');
    await expect(message(alice2, 'Welcome to your new browser')).toHaveAttribute('data-direction', 'in');

    // Carol, this time, confirms: her identity is replaced by Alice's (Alice's second browser closes first).
    await alice2.context.close();
    await carol.page.getByTestId('backup-open').click();
    await importFile(carol.page, file, PASSPHRASE);
    await expect(carol.page.getByTestId('backup-status')).toHaveAttribute('data-state', 'confirm', SCRYPT);
    await carol.page.getByTestId('backup-import-confirm').click();
    await expect(carol.page.getByTestId('own-name')).toHaveText('Alice');
    await expect(carol.page.getByTestId('contact-item')).toHaveCount(1);
    await expect(carol.page.getByTestId('contact-item')).toContainText('Bob');
  });
});

/**
 * Storage that lasts and the share target (docs/pwa.md "Storage", "Share target"), through the
 * real UI and the real relay.
 */
import { test, expect, type BrowserContext } from '@playwright/test';
import { person, pairedPeople, makeInvite, expectConnected, message, openInviteLink, type Person } from './support/app';
import { item } from './support/files';

/** `navigator.storage.persist()` refused and counted, so the "not persistent" branch is shown whatever the browser decides. */
async function refusePersist(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __persistAsked: number };
    w.__persistAsked = Number(sessionStorage.getItem('persistAsked') ?? 0);
    const count = () => sessionStorage.setItem('persistAsked', String(++w.__persistAsked));
    Object.defineProperty(navigator.storage, 'persist', { value: () => (count(), Promise.resolve(false)) });
    Object.defineProperty(navigator.storage, 'persisted', { value: () => Promise.resolve(false) });
  });
}
const persistAsked = (p: Person) =>
  p.page.evaluate(() => (window as unknown as { __persistAsked: number }).__persistAsked);

test.describe('an app people keep', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

  test('persistent storage is asked for at the first run and after pairing; the identity panel says whether it is kept and offers a backup; a backup is suggested after the first contact', async ({
    browser,
  }) => {
    test.setTimeout(180_000);
    const alice = await person(browser, 'Alice');
    const bob = await person(browser, 'Bob', { init: refusePersist });
    people.push(alice, bob);
    expect(await persistAsked(bob)).toBe(1); // the first run
    await expect(bob.page.getByTestId('backup-suggest')).toHaveCount(0); // nothing to lose yet
    await bob.page.reload();
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob');
    expect(await persistAsked(bob)).toBe(1); // not on every load

    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expect.poll(() => persistAsked(bob)).toBe(2); // after pairing

    // Bob's browser does not keep storage: the panel says so, what it risks, and offers a backup.
    await bob.page.getByTestId('identity-open').click();
    await expect(bob.page.getByTestId('storage-persistent')).toHaveText('no');
    await expect(bob.page.getByTestId('storage-risk')).toContainText('identity key');
    await bob.page.getByTestId('storage-backup').click();
    await expect(bob.page.getByTestId('backup-passphrase')).toBeVisible();

    // Alice's panel shows what her browser really says.
    await alice.page.getByTestId('identity-open').click();
    const kept = await alice.page.evaluate(() => navigator.storage.persisted());
    await expect(alice.page.getByTestId('storage-persistent')).toHaveText(kept ? 'yes' : 'no');
    await expect(alice.page.getByTestId('storage-risk')).toHaveCount(kept ? 0 : 1);

    // The suggestion after the first contact: dismissed by Bob for good, acted on by Alice.
    await expect(bob.page.getByTestId('backup-suggest')).toBeVisible();
    await bob.page.getByTestId('backup-suggest-dismiss').click();
    await expect(bob.page.getByTestId('backup-suggest')).toHaveCount(0);
    await bob.page.reload();
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob');
    await expect(bob.page.getByTestId('contact-item')).toHaveCount(1);
    await expect(bob.page.getByTestId('backup-suggest')).toHaveCount(0);
    await expect(alice.page.getByTestId('backup-suggest')).toBeVisible();
    await alice.page.getByTestId('backup-suggest-open').click();
    await expect(alice.page.getByTestId('backup-passphrase')).toBeVisible();
    await expect(alice.page.getByTestId('backup-suggest')).toHaveCount(0);
  });

  test('text and a file shared from another app land in "Share to…": the person picks the contact, and they arrive', async ({
    browser,
    baseURL,
  }) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pairedPeople(browser, people);
    await bob.page.evaluate(() => navigator.serviceWorker.ready);

    // The system's share sheet posts a multipart form to the manifest's share_target action.
    await bob.page.goto('about:blank');
    await bob.page.setContent(
      `<form method="post" enctype="multipart/form-data" action="${baseURL}/share-target">
        <input name="title" value="Trip"><input name="text" value="the plan for Sunday">
        <input type="file" name="files"></form>`,
    );
    await bob.page
      .locator('input[type=file]')
      .setInputFiles({ name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('meet at 6') });
    await bob.page.evaluate(() => document.querySelector('form')!.submit());

    const sheet = bob.page.getByTestId('share-sheet');
    await expect(sheet).toBeVisible({ timeout: 30_000 });
    await expect(sheet.getByTestId('share-text')).toHaveText('Trip\nthe plan for Sunday');
    await expect(sheet.getByTestId('share-file')).toContainText('plan.txt');
    await expect(sheet.getByTestId('share-send')).toBeDisabled(); // nothing goes before a contact is picked
    await sheet.getByTestId('share-contact').filter({ hasText: 'Alice' }).click();
    await expectConnected(bob, 'Alice');
    await sheet.getByTestId('share-send').click();
    await expect(sheet).toHaveCount(0);

    await expect(message(alice, 'the plan for Sunday')).toBeVisible({ timeout: 30_000 });
    await expect(item(alice, 'plan.txt').getByTestId('transfer-accept')).toBeVisible({ timeout: 30_000 });
    // Sent once: a reload does not bring the sheet back.
    await bob.page.reload();
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob');
    await expect(bob.page.getByTestId('share-sheet')).toHaveCount(0);
  });
});

/**
 * Renaming a contact (issue 15, docs/app.md "Renaming a contact"): Alice's own label for Bob is
 * shown instead of the name he chose, which stays visible beside it and in the verify screen;
 * it is cleaned like a peer's name, survives a reload and a backup restored in a fresh browser,
 * clearing it shows his name again, and when his key changes the warning names both.
 */
import { test, expect, type Page } from '@playwright/test';
import { pairedPeople, contextOptions, expectConnected, type Person } from './support/app';
import { exportBackupFile, importBackupFile, rotateIdentity, SCRYPT } from './support/trust';

async function rename(page: Page, label: string): Promise<void> {
  await page.getByTestId('contact-rename').click();
  await expect(page.getByTestId('contact-rename-input')).toBeFocused();
  await page.getByTestId('contact-rename-input').fill(label);
  await page.getByTestId('contact-rename-save').click();
  await expect(page.getByTestId('contact-rename-input')).toBeHidden();
}

async function expectLabelled(page: Page, label: string, chosen: string): Promise<void> {
  const item = page.getByTestId('contact-item');
  await expect(item.getByTestId('contact-name')).toHaveText(label);
  await expect(item.getByTestId('contact-chosen-name')).toContainText(chosen);
  await expect(page.getByTestId('chat-heading')).toContainText(label);
  await expect(page.getByTestId('chat-chosen-name')).toContainText(chosen);
}

test.describe('renaming a contact', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

  test('a label of her own, kept apart from his name, through a reload and a backup', async ({ browser }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    const page = alice.page;

    // A right-to-left override and a zero-width space are cleaned out, like in a peer's name.
    await rename(page, '  Rob\u202Eert\u200B (work)  ');
    await expectLabelled(page, 'Robert (work)', 'Bob');
    await expect(page.getByTestId('connection-status')).toContainText('Robert (work)');
    // The verify screen says whose key it is: the name he chose, not only her label.
    await page.locator('details.safety summary').click();
    await expect(page.locator('details.safety')).toContainText('calls themselves “Bob”');
    // Bob sees nothing of it: his name for himself is unchanged on his side.
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob');

    // Clearing the label shows his name again; a new one sticks through a reload.
    await rename(page, '   ');
    await expect(page.getByTestId('contact-item').getByTestId('contact-name')).toHaveText('Bob');
    await expect(page.getByTestId('contact-chosen-name')).toHaveCount(0);
    await rename(page, 'Robert (work)');
    await page.reload();
    await expectLabelled(page, 'Robert (work)', 'Bob');

    // The label travels in the backup: a fresh browser restores it.
    const file = await exportBackupFile(page);
    await alice.context.close(); // two live copies of one identity are out of scope

    const context = await browser.newContext(contextOptions());
    const fresh = await context.newPage();
    const alice2: Person = { name: 'Alice', context, page: fresh };
    people.push(alice2);
    await fresh.goto('/');
    await importBackupFile(fresh, file);
    await expect(fresh.getByTestId('own-name')).toHaveText('Alice', SCRYPT);
    await expectLabelled(fresh, 'Robert (work)', 'Bob');
    await expectConnected(alice2, 'Robert (work)');

    // A new key for Bob: the warning names him by her label and by the name the key came with.
    await rotateIdentity(bob.page);
    const warning = fresh.getByTestId('key-change-warning');
    await expect(warning).toBeVisible({ timeout: 60_000 });
    await expect(warning).toContainText("Robert (work)'s identity key changed");
    await expect(warning.getByTestId('key-change-chosen-name')).toContainText('calls themselves “Bob”');
  });
});

/**
 * Safety-number verification, key changes and identity rotation (docs/key-change.md), through the
 * real UI, a real relay and real WebRTC between two Chromium contexts.
 */
import { test, expect, type Page } from '@playwright/test';
import { pairedPeople, type Person } from './support/app';

/** Opens the chat header's safety-number box and clicks the verify control. */
async function toggleVerified(page: Page): Promise<void> {
  const details = page.locator('details.safety');
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click();
  await page.getByTestId('contact-verify').click();
}

async function rotateIdentity(page: Page): Promise<void> {
  await page.getByTestId('identity-open').click();
  await page.getByTestId('identity-rotate').click();
  await Promise.all([page.waitForEvent('load'), page.getByTestId('identity-rotate-confirm').click()]);
}

test.describe('verification and identity keys', () => {
  const people: Person[] = [];
  test.afterEach(async () => { for (const p of people.splice(0)) await p.context.close().catch(() => {}); });

  test('a verified mark is kept across a reload; replacing my key gives a new fingerprint and clears my verified marks', async ({ browser }) => {
    const [alice, bob] = await pairedPeople(browser, people);

    // Alice compares numbers and marks Bob verified: badge in the header and in the list, kept on reload.
    const head = alice.page.locator('.chat-head');
    const list = alice.page.getByTestId('contact-list');
    await expect(head.getByTestId('contact-verified')).toHaveCount(0);
    await toggleVerified(alice.page);
    await expect(head.getByTestId('contact-verified')).toBeVisible();
    await expect(list.getByTestId('contact-verified')).toHaveCount(1);
    await alice.page.reload();
    await expect(alice.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
    await expect(alice.page.getByTestId('contact-list').getByTestId('contact-verified')).toHaveCount(1);
    // …and can take the mark back.
    await toggleVerified(alice.page);
    await expect(alice.page.getByTestId('contact-verified')).toHaveCount(0);
    await toggleVerified(alice.page);
    await expect(alice.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();

    // Bob verifies Alice too, then replaces his key (asked to confirm first; cancel keeps it).
    await toggleVerified(bob.page);
    await expect(bob.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
    const safetyBefore = await bob.page.getByTestId('safety-number').textContent();
    await bob.page.getByTestId('identity-open').click();
    const fpBefore = await bob.page.getByTestId('own-fingerprint').textContent();
    await bob.page.getByTestId('identity-rotate').click();
    await bob.page.getByTestId('identity-rotate-cancel').click();
    await expect(bob.page.getByTestId('identity-rotate')).toBeVisible();
    await bob.page.getByTestId('identity-open').click();
    await rotateIdentity(bob.page);
    await bob.page.getByTestId('identity-open').click();
    await expect(bob.page.getByTestId('own-fingerprint')).not.toHaveText(fpBefore!);
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob');
    await bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
    await expect(bob.page.getByTestId('contact-verified')).toHaveCount(0);
    await expect(bob.page.getByTestId('safety-number')).not.toHaveText(safetyBefore!);
  });
});

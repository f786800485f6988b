/**
 * Safety-number verification, key changes and identity rotation (docs/key-change.md), through the
 * real UI, a real relay and real WebRTC between two Chromium contexts.
 */
import { test, expect, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { pairedPeople, expectConnected, send, message, contextOptions, type Person } from './support/app';
import { bustRatchets } from './support/session';

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
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
  });

  test('a verified mark is kept across a reload; replacing my key gives a new fingerprint and clears my verified marks', async ({
    browser,
  }) => {
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

  test('a forced reset renegotiates on both sides; a replaced key is held back until accepted, then chat goes on and the verified mark is gone', async ({
    browser,
  }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    await send(alice, 'before the reset');
    await expect(message(bob, 'before the reset')).toHaveAttribute('data-direction', 'in');
    await expect(alice.page.getByTestId('session-notice')).toHaveCount(0);

    // Alice asks for a reset: both chats say so, and chat continues both ways on the new session.
    await alice.page.getByTestId('session-reset').click();
    await expect(alice.page.getByTestId('session-notice')).toContainText('reset');
    await expect(alice.page.getByTestId('session-notice')).toHaveAttribute('data-cause', 'asked');
    await expect(bob.page.getByTestId('session-notice')).toContainText('reset');
    await expect(bob.page.getByTestId('session-notice')).toHaveAttribute('data-cause', 'contact');
    await expectConnected(alice, 'Bob');
    await send(alice, 'after the reset');
    await expect(message(bob, 'after the reset')).toHaveAttribute('data-direction', 'in');
    await send(bob, 'reply after the reset');
    await expect(message(alice, 'reply after the reset')).toHaveAttribute('data-direction', 'in');
    await expect(message(bob, 'reply after the reset')).toHaveAttribute('data-delivered', 'true');

    // Alice has verified Bob; the mark survives a reload.
    await toggleVerified(alice.page);
    await expect(alice.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
    await alice.page.reload();
    await expect(alice.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
    await expectConnected(alice, 'Bob');

    // Bob replaces his key. Alice is warned, with the new number Bob now sees too, and cannot send.
    await rotateIdentity(bob.page);
    const bobNumber = (await bob.page.getByTestId('safety-number').textContent())!;
    const warning = alice.page.getByTestId('key-change-warning');
    await expect(warning).toBeVisible({ timeout: 60_000 });
    await expect(warning).toContainText('key changed');
    await expect(warning).toContainText('impersonating');
    await expect(alice.page.getByTestId('key-change-safety-number')).toHaveText(bobNumber);
    await alice.page.getByTestId('message-input').fill('held back until I accept');
    await alice.page.getByTestId('message-send').click();
    await expect(alice.page.getByTestId('message-problem')).toContainText('CONTACT_KEY_CHANGED');
    await expect(alice.page.getByTestId('message-input')).toHaveValue('held back until I accept');
    await expect(message(alice, 'held back until I accept')).toHaveCount(0);

    // Alice accepts: the verified mark (about the old key) goes, a session is agreed with the new key.
    await alice.page.getByTestId('key-change-accept').click();
    await expect(warning).toHaveCount(0);
    await expect(alice.page.getByTestId('contact-verified')).toHaveCount(0);
    await expect(alice.page.getByTestId('safety-number')).toHaveText(bobNumber);
    await expectConnected(alice, 'Bob');
    await expect(alice.page.getByTestId('session-notice')).toHaveAttribute('data-cause', 'key');
    await alice.page.getByTestId('message-send').click();
    await expect(message(bob, 'held back until I accept')).toHaveAttribute('data-direction', 'in');
    await send(bob, 'hello from my new key');
    await expect(message(alice, 'hello from my new key')).toHaveAttribute('data-direction', 'in');
    await expect(message(alice, 'held back until I accept')).toHaveAttribute('data-delivered', 'true');

    // After a reload the new key is still the one, still unverified.
    await alice.page.reload();
    await expectConnected(alice, 'Bob');
    await expect(alice.page.getByTestId('contact-verified')).toHaveCount(0);
    await expect(alice.page.getByTestId('safety-number')).toHaveText(bobNumber);
  });

  test('a ratchet that keeps failing to decrypt resets by itself, and nothing sent meanwhile is lost', async ({
    browser,
  }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    await send(alice, 'one');
    await expect(message(bob, 'one')).toHaveAttribute('data-direction', 'in');
    await send(bob, 'two');
    await expect(message(alice, 'two')).toHaveAttribute('data-direction', 'in');
    await expect(message(bob, 'two')).toHaveAttribute('data-delivered', 'true');

    // Bust Bob's ratchet: his stored receiving header keys are replaced, as a damaged or rolled-back
    // profile would leave them. Every message Alice sends now fails to decrypt at Bob.
    await bustRatchets(bob.page);
    for (let i = 1; i <= 5; i++) await send(alice, `sent into a busted ratchet ${i}`);

    // After 5 failures in a row Bob's app resets the session; both chats say so, and every message
    // Alice sent meanwhile (none had a receipt) arrives under the new session, in order.
    await expect(bob.page.getByTestId('session-notice')).toHaveAttribute('data-cause', 'failures', { timeout: 60_000 });
    await expect(bob.page.getByTestId('session-notice')).toContainText('reset');
    await expect(alice.page.getByTestId('session-notice')).toHaveAttribute('data-cause', 'contact');
    for (let i = 1; i <= 5; i++) await expect(message(bob, `sent into a busted ratchet ${i}`)).toHaveCount(1);
    const texts = await bob.page.getByTestId('message-item').allInnerTexts();
    const order = [1, 2, 3, 4, 5].map((i) => texts.findIndex((t) => t.includes(`busted ratchet ${i}`)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    await expect(message(alice, 'sent into a busted ratchet 5')).toHaveAttribute('data-delivered', 'true');
    await send(bob, 'all good again');
    await expect(message(alice, 'all good again')).toHaveAttribute('data-direction', 'in');
  });

  test('attack: a thief with a stolen backup presents a new key; Alice is warned, and her waiting message goes to Bob only', async ({
    browser,
  }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    const scrypt = { timeout: 60_000 };
    const passphrase = 'correct horse battery staple';

    // Bob's backup file (his identity and the contact secret of the pairing) is stolen.
    await bob.page.getByTestId('backup-open').click();
    await bob.page.getByTestId('backup-passphrase').fill(passphrase);
    await bob.page.getByTestId('backup-passphrase-confirm').fill(passphrase);
    await bob.page.getByTestId('backup-export').click();
    await expect(bob.page.getByTestId('backup-download')).toBeVisible(scrypt);
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      bob.page.getByTestId('backup-download').click(),
    ]);
    const stolen = await readFile(await download.path());

    // Bob goes offline; Alice writes to him meanwhile.
    await bob.page.close();
    await expect(alice.page.getByTestId('connection-status')).toContainText('waiting for Bob to come online');
    await send(alice, 'for Bob only');

    // The thief holds the contact secret but not Bob's identity key: she opens the backup with the
    // relay out of reach (a page whose relay socket goes nowhere), replaces the key, and only then
    // comes online — so she never appears with Bob's own key, only with hers, in Alice's reset room.
    const context = await browser.newContext(contextOptions());
    const offline = await context.newPage();
    await offline.routeWebSocket(/\/signal/, () => {});
    const thief: Person = { name: 'Thief', context, page: offline };
    people.push(thief);
    await thief.page.goto('/');
    await thief.page
      .getByTestId('backup-import-file')
      .setInputFiles({ name: 'backup.parley', mimeType: 'application/octet-stream', buffer: stolen });
    await thief.page.getByTestId('backup-import-passphrase').fill(passphrase);
    await thief.page.getByTestId('backup-import-submit').click();
    await expect(thief.page.getByTestId('own-name')).toHaveText('Bob', scrypt);
    await rotateIdentity(thief.page);
    thief.page = await context.newPage();
    await offline.close();
    await thief.page.goto('/');
    await expect(alice.page.getByTestId('key-change-warning')).toBeVisible({ timeout: 60_000 });
    await expect(alice.page.getByTestId('key-change-safety-number')).toHaveText(
      (await thief.page.getByTestId('safety-number').textContent())!,
    );

    // Alice keeps the old key. The real Bob comes back with it: the waiting message reaches him,
    // and at no point did it reach the thief, whose link Alice held without a word.
    await alice.page.getByTestId('key-change-refuse').click();
    bob.page = await bob.context.newPage();
    await bob.page.goto('/');
    await expect(message(bob, 'for Bob only')).toHaveAttribute('data-direction', 'in', { timeout: 60_000 });
    await expect(message(alice, 'for Bob only')).toHaveAttribute('data-delivered', 'true');
    await expect(thief.page.getByTestId('message-item')).toHaveCount(0);
    await expect(thief.page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'connected');
  });
});

/**
 * Unread badges, the page title, the offer notice and rename lines through the real UI
 * (docs/app.md "Unread and notices"): Bob, paired with Alice and Carol through the real relay,
 * has Carol's chat open while Alice writes and offers files.
 */
import { test, expect } from '@playwright/test';
import {
  person,
  makeInvite,
  expectConnected,
  send,
  message,
  type Person,
  openInviteLink,
  setInFront,
} from './support/app';
import { item, offerFiles, pair } from './support/files';

test.describe('unread and notices', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('messages and an offer while another chat is open: badge, title, notice; opening the chat clears them, across reloads', async ({
    browser,
  }, info) => {
    test.setTimeout(240_000);
    const alice = await person(browser, 'Alice'),
      bob = await person(browser, 'Bob'),
      carol = await person(browser, 'Carol');
    people.push(alice, bob, carol);
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await openInviteLink(carol, await makeInvite(bob));
    await expectConnected(carol, 'Bob');
    await expectConnected(bob, 'Carol'); // Bob now has Carol's chat open

    const aliceItem = bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' });
    const carolItem = bob.page.getByTestId('contact-item').filter({ hasText: 'Carol' });
    await expect(bob.page.getByTestId('contact-unread')).toHaveCount(0);
    await expect(bob.page).toHaveTitle('Parley');

    // Alice writes twice and offers three files while Bob reads Carol.
    await send(alice, 'first while you were away');
    await send(alice, 'second while you were away');
    await expect(message(alice, 'second while you were away')).toHaveAttribute('data-delivered', 'true', {
      timeout: 30_000,
    });
    await offerFiles(
      alice,
      {
        'a.txt': new TextEncoder().encode('a'),
        'b.txt': new TextEncoder().encode('bb'),
        'c.txt': new TextEncoder().encode('ccc'),
      },
      info,
    );

    await expect(aliceItem.getByTestId('contact-unread')).toHaveText(/^3/, { timeout: 30_000 });
    await expect(carolItem.getByTestId('contact-unread')).toHaveCount(0);
    await expect(bob.page).toHaveTitle('(3) Parley');
    await expect(bob.page.getByTestId('offer-notice')).toHaveText('Alice wants to send you 3 files — open chat');
    // Carol's chat stays open and shows none of it.
    await expect(bob.page.getByRole('heading', { name: 'Carol', exact: true })).toBeVisible();
    await expect(message(bob, 'first while you were away')).toHaveCount(0);

    // A reload keeps the counts (derived from the stored messages and offers) and the open chat.
    await bob.page.reload();
    await expect(aliceItem.getByTestId('contact-unread')).toHaveText(/^3/, { timeout: 30_000 });
    await expect(bob.page).toHaveTitle('(3) Parley');
    await expect(bob.page.getByRole('heading', { name: 'Carol', exact: true })).toBeVisible();
    await expect(bob.page.getByTestId('offer-notice')).toHaveCount(1);

    // The notice opens Alice's chat: messages and the offer are there; badge, title and notice clear.
    await bob.page.getByTestId('offer-notice').click();
    await expect(bob.page.getByRole('heading', { name: 'Alice', exact: true })).toBeVisible();
    await expect(message(bob, 'first while you were away')).toHaveCount(1);
    await expect(message(bob, 'second while you were away')).toHaveCount(1);
    await expect(item(bob, 'a.txt').getByTestId('transfer-accept')).toBeVisible();
    await expect(bob.page.getByTestId('contact-unread')).toHaveCount(0);
    await expect(bob.page.getByTestId('offer-notice')).toHaveCount(0);
    await expect(bob.page).toHaveTitle('Parley');

    // Still clear after a reload, with Alice's chat open again.
    await bob.page.reload();
    await expect(bob.page.getByRole('heading', { name: 'Alice', exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(message(bob, 'second while you were away')).toHaveCount(1);
    await expect(bob.page.getByTestId('contact-unread')).toHaveCount(0);
    await expect(bob.page).toHaveTitle('Parley');

    // A message in the open chat is not unread; one to the other chat is.
    await expectConnected(bob, 'Alice');
    await send(alice, 'while you look');
    await expect(message(bob, 'while you look')).toHaveCount(1, { timeout: 30_000 });
    await send(carol, 'hello from Carol');
    await expect(carolItem.getByTestId('contact-unread')).toHaveText(/^1/, { timeout: 30_000 });
    await expect(aliceItem.getByTestId('contact-unread')).toHaveCount(0);
    await expect(bob.page).toHaveTitle('(1) Parley');
  });

  test("a contact's new name shows as a line in the chat, and stays after a reload", async ({ browser }) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);
    // Alice's stored display name changes (there is no rename form yet); her next hello carries it.
    await alice.page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('parley');
          open.onerror = () => reject(open.error ?? new Error('open failed'));
          open.onsuccess = () => {
            const tx = open.result.transaction('identity', 'readwrite');
            const s = tx.objectStore('identity');
            const get = s.get('self');
            get.onsuccess = () => s.put({ ...(get.result as object), name: 'Alice L.' });
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error ?? new Error('write failed'));
          };
        }),
    );
    await alice.page.reload();
    const line = bob.page.getByTestId('contact-renamed');
    await expect(line).toHaveText('Alice is now called Alice L.', { timeout: 45_000 });
    await expect(bob.page.getByTestId('contact-item').filter({ hasText: 'Alice L.' })).toHaveCount(1);
    await bob.page.reload();
    await expect(line).toHaveText('Alice is now called Alice L.', { timeout: 30_000 });
  });

  test("in a background tab even the open chat's new messages count in the title, until the page is in front again", async ({
    browser,
  }) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);
    // Headless Chromium keeps every tab "visible": the page is told it went to the background.
    const inFront = (front: boolean) => setInFront(bob.page, front);
    await inFront(false);
    await send(alice, 'are you there?');
    await expect(message(bob, 'are you there?')).toHaveCount(1, { timeout: 30_000 });
    await expect(bob.page).toHaveTitle('(1) Parley');
    await inFront(true);
    await expect(bob.page).toHaveTitle('Parley');
    await expect(bob.page.getByTestId('contact-unread')).toHaveCount(0);
  });
});

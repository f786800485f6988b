import { test, expect } from '@playwright/test';
import { person, makeInvite, expectConnected, send, message, type Person, openInviteLink } from './support/app';

test.describe('two people', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('become contacts through an invite, chat, reload, reconnect by themselves, and catch up on what was sent while offline', async ({
    browser,
  }) => {
    const alice = await person(browser, 'Alice');
    const bob = await person(browser, 'Bob');
    people.push(alice, bob);

    // Alice invites; Bob opens the link in his browser.
    const link = await makeInvite(alice);
    // The invite panel: a QR code made in the page, and a copy button that copies the whole link.
    await expect(alice.page.getByAltText('QR code of the invite link')).toHaveAttribute(
      'src',
      /^data:image\/png;base64,/,
    );
    await alice.page.getByRole('button', { name: 'Copy' }).click();
    await expect(alice.page.getByRole('button', { name: 'Copied' })).toBeVisible();
    expect(await alice.page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await openInviteLink(bob, link);
    await expect(bob.page).not.toHaveURL(/#invite=/); // the fragment leaves the address bar
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');

    // Both see the same safety number to compare.
    const numbers = await Promise.all([alice, bob].map((p) => p.page.getByTestId('safety-number').textContent()));
    expect(numbers[0]).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(numbers[1]).toBe(numbers[0]);

    // Chat both ways, with delivered marks.
    await send(alice, 'Hi Bob, it is Alice');
    await expect(message(bob, 'Hi Bob, it is Alice')).toHaveAttribute('data-direction', 'in');
    await expect(message(alice, 'Hi Bob, it is Alice')).toHaveAttribute('data-delivered', 'true');
    await send(bob, 'Hello Alice!');
    await expect(message(alice, 'Hello Alice!')).toHaveAttribute('data-direction', 'in');
    await expect(message(bob, 'Hello Alice!')).toHaveAttribute('data-delivered', 'true');

    // Both reload: contacts and history are still there, and they find each other again.
    await Promise.all([alice.page.reload(), bob.page.reload()]);
    for (const p of [alice, bob]) {
      await expect(p.page.getByTestId('message-item')).toHaveCount(2);
      await expect(message(p, 'Hi Bob, it is Alice')).toBeVisible();
      await expect(message(p, 'Hello Alice!')).toBeVisible();
    }
    await expectConnected(alice, 'Bob');
    await expectConnected(bob, 'Alice');
    await send(bob, 'Back again');
    await expect(message(alice, 'Back again')).toBeVisible();
    await send(alice, 'Welcome back');
    await expect(message(bob, 'Welcome back')).toHaveAttribute('data-direction', 'in');

    // Alice goes away; Bob's messages wait in his outbox and arrive in order when she returns.
    await alice.page.close();
    await expect(bob.page.getByTestId('connection-status')).toContainText('waiting for Alice to come online');
    await expect(bob.page.getByTestId('error-banner')).toHaveCount(0); // a friend leaving is no alarm
    await send(bob, 'first while you were away');
    await send(bob, 'second while you were away');
    await expect(message(bob, 'second while you were away')).toHaveAttribute('data-delivered', 'false');
    alice.page = await alice.context.newPage();
    await alice.page.goto('/');
    await expectConnected(alice, 'Bob');
    await expect(message(alice, 'second while you were away')).toBeVisible();
    const texts = await alice.page.getByTestId('message-item').allInnerTexts();
    const first = texts.findIndex((t) => t.includes('first while you were away'));
    const second = texts.findIndex((t) => t.includes('second while you were away'));
    expect(first).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(first);
    await expect(message(bob, 'second while you were away')).toHaveAttribute('data-delivered', 'true');
  });
});

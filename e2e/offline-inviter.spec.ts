import { test, expect } from '@playwright/test';
import { person, makeInvite, expectConnected, send, message, type Person, openInviteLink } from './support/app';

test.describe('an invite opened while the inviter is away', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('waits for the inviter, says so, and pairs when she comes back (her invite survived the reload)', async ({
    browser,
  }) => {
    const alice = await person(browser, 'Alice');
    const erin = await person(browser, 'Erin');
    people.push(alice, erin);
    const link = await makeInvite(alice);
    await alice.page.close();

    await openInviteLink(erin, link);
    const pending = erin.page.getByTestId('invite-pending');
    await expect(pending).toContainText('Waiting for Alice to come online');
    await expect(pending).toHaveAttribute('data-code', 'FRIEND_OFFLINE');
    await expect(erin.page.getByTestId('contact-item')).toHaveCount(0);

    alice.page = await alice.context.newPage();
    await alice.page.goto('/');
    await expect(alice.page.getByTestId('invite-link')).toHaveValue(link); // the open invite is still on show
    await expectConnected(erin, 'Alice');
    await expectConnected(alice, 'Erin');
    await expect(pending).toHaveCount(0);
    await send(erin, 'Thanks for the invite');
    await expect(message(alice, 'Thanks for the invite')).toBeVisible();
  });
});

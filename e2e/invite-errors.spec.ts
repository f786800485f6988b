import { test, expect } from '@playwright/test';
import {
  person,
  makeInvite,
  pasteInvite,
  expectConnected,
  expectError,
  tamper,
  type Person,
  openInviteLink,
} from './support/app';

test.describe('invites that cannot be used', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('a used invite, an expired one, a tampered one and a malformed one each get their own error', async ({
    browser,
  }) => {
    const alice = await person(browser, 'Alice');
    const bob = await person(browser, 'Bob');
    const carol = await person(browser, 'Carol');
    people.push(alice, bob, carol);

    const link = await makeInvite(alice);
    await pasteInvite(bob, link);
    await expectConnected(bob, 'Alice');

    // Used: Alice is online and answers that the invite is spent.
    await openInviteLink(carol, link);
    await expectError(carol, 'INVITE_USED');
    await expect(carol.page.getByTestId('error-banner')).toContainText('already been used');
    await expect(carol.page.getByTestId('contact-item')).toHaveCount(0);

    // Tampered: one character of the code changed.
    await pasteInvite(carol, tamper(await makeInvite(alice)));
    await expectError(carol, 'INVITE_TAMPERED');

    // Malformed: not an invite at all.
    await pasteInvite(carol, 'this is not an invite');
    await expectError(carol, 'INVITE_MALFORMED');

    // Expired: Dave's clock says it is 25 hours later than when Alice made the invite.
    const fresh = await makeInvite(alice);
    const dave = await person(browser, 'Dave');
    people.push(dave);
    await dave.page.clock.setFixedTime(Date.now() + 25 * 3_600_000);
    await pasteInvite(dave, fresh);
    await expectError(dave, 'INVITE_EXPIRED');
    await expect(dave.page.getByTestId('error-banner')).toContainText('expired');

    // None of this disturbed Alice and Bob, and nobody else became a contact.
    await expect(alice.page.getByTestId('contact-item')).toHaveCount(1);
    await expect(carol.page.getByTestId('contact-item')).toHaveCount(0);
    await expect(dave.page.getByTestId('contact-item')).toHaveCount(0);
  });
});

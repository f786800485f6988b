/**
 * A contact's link that drops while this side is still taking it up (docs/app.md "One object per
 * contact", the meeting loop): the close asks for a new meeting while the loop that found the
 * link has not ended yet, and that request must not be lost. On a loaded machine this is what
 * happened when Bob's page was reloaded twice in quick succession (unread.spec.ts): Alice's link
 * to Bob's second page closed while she was still noting that she had seen him, and she then met
 * nobody, so Bob's third page waited for her for good. Here Alice's contacts store is held busy,
 * so that window is as long as the test needs.
 */
import { test, expect } from '@playwright/test';
import { person, makeInvite, expectConnected, send, message, type Person, openInviteLink } from './support/app';
import { holdStore } from './support/session';

test.describe('a link that drops', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('while this side is still taking it up: the two meet again', async ({ browser }) => {
    test.setTimeout(180_000);
    const alice = await person(browser, 'Alice'),
      bob = await person(browser, 'Bob');
    people.push(alice, bob);
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    const aliceStatus = alice.page.getByTestId('connection-status');

    // Alice's contacts store is busy: taking up her next link waits there (the contact's last seen).
    const release = await holdStore(alice.page, 'contacts');
    await bob.page.reload();
    await expectConnected(bob, 'Alice'); // Bob's second page and Alice agreed on their session…
    await expect(aliceStatus).toHaveAttribute('data-state', 'connected');
    // …and it goes away while Alice has not finished taking the link up.
    await bob.page.reload();
    await expect(aliceStatus).toHaveAttribute('data-state', 'waiting');
    await release();

    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await send(alice, 'still here');
    await expect(message(bob, 'still here')).toHaveCount(1);
  });
});

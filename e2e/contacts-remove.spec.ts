/**
 * Removing and blocking contacts (docs/app.md "Removing and blocking"; docs/security.md "Removing
 * and blocking contacts"), through the real UI, a real relay and real WebRTC: a removed contact is
 * forgotten with its session, outbox and (if asked) history, and never met again by itself; a
 * blocked one is kept but not met, refused at invites, and stays blocked across a reload and a
 * backup round-trip until unblocked.
 */
import { test, expect, type Page } from '@playwright/test';
import {
  contextOptions,
  expectConnected,
  expectError,
  makeInvite,
  message,
  openInviteLink,
  pairedPeople,
  send,
  type Person,
} from './support/app';
import { readStore } from './support/session';
import { exportBackupFile, importBackupFile, SCRYPT } from './support/trust';

const people: Person[] = [];
test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => {});
});

/**
 * Observation window for "is not met": two contacts that do meet connect within a few seconds of
 * both being online (one attempt of the contact loop runs 30 s; the first link usually comes in 1–3 s).
 */
async function staysApart(a: Person, b: Person): Promise<void> {
  await a.page.waitForTimeout(8_000);
  await expect(b.page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'connected');
}

async function removeContact(page: Page, history: boolean): Promise<void> {
  await page.getByTestId('contact-remove').click();
  if (history) await page.getByTestId('contact-remove-history').check();
  await page.getByTestId('contact-remove-confirm').click();
}

test('remove: the contact goes with its session, outbox and history, and is never met again by itself; a fresh invite pairs anew', async ({
  browser,
}) => {
  const [alice, bob] = await pairedPeople(browser, people);
  await send(alice, 'hello from Alice');
  await expect(message(bob, 'hello from Alice')).toHaveAttribute('data-direction', 'in');
  await send(bob, 'hello from Bob');
  await expect(message(alice, 'hello from Bob')).toHaveAttribute('data-direction', 'in');

  // Bob is away; Alice writes something: it leaves her outbox for Bob's mailbox at the relay.
  // Removing Bob later cannot call it back (docs/app.md "Mailbox"): it is his once it has left.
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-status')).toContainText('waiting for Bob');
  await send(alice, 'left before the removal');
  await expect(message(alice, 'left before the removal').getByTestId('message-delivered')).toHaveAttribute(
    'data-state',
    'mailbox',
    { timeout: 45_000 },
  );

  // The confirm step: Cancel keeps everything.
  await alice.page.getByTestId('contact-remove').click();
  await expect(alice.page.getByTestId('contact-remove-history')).not.toBeChecked();
  await alice.page.getByTestId('contact-remove-cancel').click();
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(1);
  await expect(alice.page.getByTestId('contact-remove-confirm')).toHaveCount(0);

  await removeContact(alice.page, true);
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(0);
  expect(await readStore(alice.page, 'contacts')).toEqual([]);
  expect(await readStore(alice.page, 'sessions')).toEqual([]);
  expect(await readStore(alice.page, 'messages')).toEqual([]);

  // Bob comes back and keeps looking for Alice: she never answers, also after her reload.
  bob.page = await bob.context.newPage();
  await bob.page.goto('/');
  await bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
  await staysApart(alice, bob);
  await alice.page.reload();
  await expect(alice.page.getByTestId('invite-create')).toBeVisible();
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(0);
  await staysApart(alice, bob);
  // What had left before the removal reached Bob once, through the mailbox; nothing more did.
  await expect(message(bob, 'left before the removal')).toHaveCount(1);

  // Bob removes Alice too, keeping the history: the messages stay in his browser.
  await removeContact(bob.page, false);
  await expect(bob.page.getByTestId('contact-item')).toHaveCount(0);
  expect(await readStore(bob.page, 'contacts')).toEqual([]);
  expect((await readStore(bob.page, 'messages')).length).toBe(3);

  // Removing is not blocking: a fresh invite pairs them again, and Bob's kept history is back.
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  await expect(message(bob, 'hello from Alice')).toBeVisible();
  await send(bob, 'back again');
  await expect(message(alice, 'back again')).toHaveAttribute('data-direction', 'in');
});

test('block: the contact is kept but not met, refused at invites, still blocked after a reload and a backup round-trip; unblocking meets again', async ({
  browser,
}) => {
  const [alice, bob] = await pairedPeople(browser, people);
  await send(bob, 'before the block');
  await expect(message(alice, 'before the block')).toHaveAttribute('data-direction', 'in');

  // Alice blocks Bob: the link goes, the chat says so, nothing is sent either way.
  await alice.page.getByTestId('contact-block').click();
  await expect(alice.page.getByTestId('contact-block')).toHaveAttribute('aria-pressed', 'true');
  await expect(alice.page.getByTestId('contact-blocked')).toBeVisible();
  await expect(alice.page.getByTestId('connection-status')).toContainText('blocked');
  await expect(bob.page.getByTestId('connection-status')).toContainText('waiting for Alice');
  await send(bob, 'while blocked');
  await alice.page.getByTestId('message-input').fill('to a blocked contact');
  await alice.page.getByTestId('message-send').click();
  await expect(alice.page.getByTestId('message-problem')).toContainText('CONTACT_BLOCKED');
  await expect(message(alice, 'to a blocked contact')).toHaveCount(0);
  await staysApart(alice, bob);
  await expect(message(alice, 'while blocked')).toHaveCount(0);

  // A reload keeps the block.
  await alice.page.reload();
  await expect(alice.page.getByTestId('contact-blocked')).toBeVisible();
  await staysApart(alice, bob);

  // A backup round-trip keeps it too: Alice moves to a fresh browser.
  const file = await exportBackupFile(alice.page);
  await alice.context.close();
  const context = await browser.newContext(contextOptions());
  const alice2: Person = { name: 'Alice', context, page: await context.newPage() };
  people.push(alice2);
  await alice2.page.goto('/');
  await importBackupFile(alice2.page, file);
  await expect(alice2.page.getByTestId('own-name')).toHaveText('Alice', SCRYPT);
  await alice2.page.getByTestId('contact-item').filter({ hasText: 'Bob' }).click();
  await expect(alice2.page.getByTestId('contact-blocked')).toBeVisible();
  await expect(alice2.page.getByTestId('contact-block')).toHaveAttribute('aria-pressed', 'true');
  await staysApart(alice2, bob);

  // Unblocking meets Bob again, and what he wrote meanwhile arrives.
  await alice2.page.getByTestId('contact-block').click();
  await expect(alice2.page.getByTestId('contact-blocked')).toHaveCount(0);
  await expectConnected(alice2, 'Bob');
  await expect(message(alice2, 'while blocked')).toHaveAttribute('data-direction', 'in');
  await expect(message(bob, 'while blocked')).toHaveAttribute('data-delivered', 'true');

  // Blocked again, Bob cannot come back through an invite either (he removes Alice and tries one).
  await alice2.page.getByTestId('contact-block').click();
  await expect(bob.page.getByTestId('connection-status')).toContainText('waiting for Alice');
  await removeContact(bob.page, false);
  await openInviteLink(bob, await makeInvite(alice2));
  await expectError(bob, 'INVITE_KEY_REFUSED');
  await expectError(alice2, 'PAIRING_BLOCKED_KEY');
  await expect(bob.page.getByTestId('contact-item')).toHaveCount(0);
  await expect(alice2.page.getByTestId('contact-item')).toHaveCount(1);
  await expect(alice2.page.getByTestId('contact-blocked')).toBeVisible();
});

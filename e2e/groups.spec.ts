/**
 * Groups end to end (issue 14; docs/groups.md §10): real Chromium pages, the real relay, the UI's
 * data-testids. Alice makes a group with Bob and Carol, who have never met: the admin introduces
 * them, they meet at the intro's rendezvous, and chat through the group.
 */
import { test, expect, type Page } from '@playwright/test';
import { expectConnected, makeInvite, message, openInviteLink, person, send, type Person } from './support/app';

const people: Person[] = [];
test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close();
});

async function enter(browser: import('@playwright/test').Browser, name: string): Promise<Person> {
  const p = await person(browser, name);
  people.push(p);
  return p;
}

/** `b` becomes a contact of `a` through a's invite. */
async function pair(a: Person, b: Person): Promise<void> {
  await openInviteLink(b, await makeInvite(a));
  await expectConnected(b, a.name);
  await expectConnected(a, b.name);
}

async function choose(page: Page, names: string[]): Promise<void> {
  for (const n of names) await page.getByTestId('group-member-option').filter({ hasText: n }).locator('input').check();
}

async function openGroup(p: Person, name: string): Promise<void> {
  await p.page.getByTestId('group-item').filter({ hasText: name }).click();
  await expect(p.page.getByTestId('group-members')).toBeVisible();
}

const member = (p: Person, name: string) => p.page.getByTestId('group-member').filter({ hasText: name });
const notice = (p: Person, text: string | RegExp) => p.page.getByTestId('group-notice').filter({ hasText: text });

test('a group of three: Bob and Carol are introduced through Alice and chat through the group', async ({ browser }) => {
  test.setTimeout(300_000);
  const alice = await enter(browser, 'Alice');
  const bob = await enter(browser, 'Bob');
  const carol = await enter(browser, 'Carol');
  await pair(alice, bob);
  await pair(alice, carol);

  await alice.page.getByTestId('group-create').click();
  await alice.page.getByTestId('group-name-input').fill('Book club');
  await choose(alice.page, ['Bob', 'Carol']);
  await alice.page.getByTestId('group-create-submit').click();
  await expect(alice.page.getByTestId('group-item').filter({ hasText: 'Book club' })).toBeVisible();

  for (const p of [bob, carol]) {
    await expect(p.page.getByTestId('group-item').filter({ hasText: 'Book club' })).toBeVisible({ timeout: 45_000 });
    await openGroup(p, 'Book club');
  }
  // Bob and Carol were never contacts: introduced by Alice, they meet and show each other connected.
  await expect(notice(bob, 'You and Carol were introduced')).toBeVisible({ timeout: 90_000 });
  await expect(notice(carol, 'You and Bob were introduced')).toBeVisible({ timeout: 30_000 });
  await expect(member(bob, 'Carol')).toHaveAttribute('data-connected', 'true', { timeout: 45_000 });
  await expect(bob.page.getByTestId('contact-item').filter({ hasText: 'Carol' })).toHaveCount(0);

  await send(bob, 'hello from Bob');
  await expect(message(carol, 'hello from Bob')).toContainText('Bob');
  await send(carol, 'hello from Carol');
  await expect(message(bob, 'hello from Carol')).toContainText('Carol');
  await openGroup(alice, 'Book club');
  for (const t of ['hello from Bob', 'hello from Carol']) await expect(message(alice, t)).toBeVisible();
  // The same order on every member's screen.
  const order = async (p: Person) =>
    (await p.page.getByTestId('message-item').allTextContents()).map((s) => s.replace(/\d\d:\d\d.*$/, ''));
  const alices = await order(alice);
  expect(await order(bob)).toEqual(alices);
  expect(await order(carol)).toEqual(alices);
});

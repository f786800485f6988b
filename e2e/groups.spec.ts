/**
 * Groups end to end (issue 14; docs/groups.md §10): real Chromium pages, the real relay, the UI's
 * data-testids. Three people: Alice makes a group with Bob and Carol, who have never met: the admin
 * introduces them, they meet at the intro's rendezvous, and chat through the group; with Alice's tab
 * closed, Erin joins through Carol's group invite link: Carol's chat says the addition waits for
 * Alice (`group-admin-away`), and it goes out when she is back. Four people,
 * through the recording relay: Bob adds Dave, a contact of his only; with Alice's tab closed Bob and
 * Carol keep chatting; Alice removes Carol, who receives nothing after; and the relay's recorded
 * frames hold no identity key, name, text or group id.
 */
import { test, expect, type Browser } from '@playwright/test';
import { hexToBytes } from '@noble/hashes/utils.js';
import { expectConnected, message, openInviteLink, person, send, type Person } from './support/app';
import { recordingRelayFixture } from './support/recording';
import { choose, joinGroup, openGroup, pair, startGroup } from './support/groups';
import { identityKey } from './support/webrtc-spy';
import { readStore } from './support/session';
import { findLeaks, type Secret } from '../test/support/leakscan';
import { readRecording } from '../test/support/recording-relay';
import { E2E_PORT } from '../playwright.config';

const fx = recordingRelayFixture();
const people = fx.people;

async function enter(browser: Browser, name: string, baseURL?: string): Promise<Person> {
  const p = await person(browser, name, { baseURL });
  people.push(p);
  return p;
}

const member = (p: Person, name: string) => p.page.getByTestId('group-member').filter({ hasText: name });
const notice = (p: Person, text: string | RegExp) => p.page.getByTestId('group-notice').filter({ hasText: text });

test('a group of three: Bob and Carol are introduced through Alice and chat through the group', async ({ browser }) => {
  test.setTimeout(300_000);
  const alice = await enter(browser, 'Alice');
  const bob = await enter(browser, 'Bob');
  const carol = await enter(browser, 'Carol');
  await startGroup(alice, [bob, carol], 'Book club');
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

  // A group invite link from Carol: Erin, who knows nobody, pairs with Carol, Carol vouches for
  // her automatically, Alice adds her, and she is introduced to Alice and Bob. Alice's tab is
  // closed meanwhile: Carol's chat says the addition waits for her, and it goes out when she is back.
  await alice.page.close();
  await expect(member(carol, 'Alice')).toHaveAttribute('data-connected', 'false', { timeout: 45_000 });
  await carol.page.getByTestId('group-invite-create').click();
  const link = carol.page.getByTestId('group-invite-link');
  await expect(link).toHaveValue(/#invite=.*&group=/);
  const erin = await enter(browser, 'Erin');
  await openInviteLink(erin, await link.inputValue());
  await expectConnected(erin, 'Carol');
  await openGroup(carol, 'Book club');
  await expect(carol.page.getByTestId('group-admin-away')).toContainText('Waiting for Alice (the admin)');
  await expect(carol.page.getByTestId('group-admin-away')).toContainText('adding Erin');
  alice.page = await alice.context.newPage();
  await alice.page.goto('/');
  await expect(erin.page.getByTestId('group-item').filter({ hasText: 'Book club' })).toBeVisible({ timeout: 90_000 });
  await expect(carol.page.getByTestId('group-admin-away')).toHaveCount(0, { timeout: 60_000 });
  await openGroup(erin, 'Book club');
  await openGroup(alice, 'Book club');
  await expect(notice(alice, 'Erin is here')).toBeVisible({ timeout: 120_000 });
  await expect(notice(bob, 'Erin is here')).toBeVisible({ timeout: 60_000 });
  await send(erin, 'hello from Erin');
  for (const p of [alice, bob, carol]) await expect(message(p, 'hello from Erin')).toContainText('Erin');
});

test('a group of four: Bob adds Dave, Alice away, Alice removes Carol; the relay sees no key, name, text or group id', async ({
  browser,
}) => {
  test.setTimeout(600_000);
  const relay = await fx.start(E2E_PORT + 1, 'groups');
  const [alice, bob, carol, dave] = [
    await enter(browser, 'Alice Liddell', relay.url),
    await enter(browser, 'Bob the Builder', relay.url),
    await enter(browser, 'Carol Danvers', relay.url),
    await enter(browser, 'Dave Bowman', relay.url),
  ] as [Person, Person, Person, Person];
  const group = 'Book club of the year';
  const texts = [
    'the first chapter is wonderful',
    'agreed, the second one drags',
    'Dave here, glad to be invited',
    'while Alice is away we plan her surprise',
    'a cake with a lighthouse on it',
    'sent after Carol was removed from the club',
  ];
  await pair(bob, dave);
  await startGroup(alice, [bob, carol], group, 60_000);
  await expect(notice(bob, `You and ${carol.name} were introduced`)).toBeVisible({ timeout: 90_000 });
  await send(bob, texts[0]!);
  await expect(message(carol, texts[0]!)).toContainText(bob.name);
  await send(carol, texts[1]!);
  await expect(message(bob, texts[1]!)).toContainText(carol.name);

  // Bob adds Dave, a contact of his only: Alice (the admin) publishes the list, Bob forwards it,
  // Dave is introduced to Alice and Carol, and his hello reaches everyone.
  await bob.page.getByTestId('group-add-member').click();
  await choose(bob.page, [dave.name]);
  await bob.page.getByTestId('group-add-submit').click();
  await joinGroup(dave, group, 60_000);
  for (const p of [alice, bob, carol]) {
    if (p !== bob) await openGroup(p, group);
    await expect(notice(p, `${dave.name} is here`)).toBeVisible({ timeout: 120_000 });
  }
  await expect(notice(dave, `You and ${alice.name} were introduced`)).toBeVisible({ timeout: 60_000 });
  await expect(notice(dave, `You and ${carol.name} were introduced`)).toBeVisible({ timeout: 90_000 });
  await send(dave, texts[2]!);
  for (const p of [alice, bob, carol]) await expect(message(p, texts[2]!)).toContainText(dave.name);

  // Alice's tab closed: Bob and Carol keep chatting over their own link.
  await alice.page.close();
  await send(bob, texts[3]!);
  await expect(message(carol, texts[3]!)).toBeVisible();
  await send(carol, texts[4]!);
  await expect(message(bob, texts[4]!)).toBeVisible();
  alice.page = await alice.context.newPage();
  await alice.page.goto(relay.url);
  await openGroup(alice, group);
  for (const t of texts.slice(3, 5)) await expect(message(alice, t)).toBeVisible({ timeout: 90_000 });

  // Alice removes Carol: Carol sees it, and nothing sent after reaches her.
  await member(alice, carol.name).getByTestId('group-remove-member').click();
  await member(alice, carol.name).getByTestId('group-remove-confirm').click();
  await expect(notice(carol, 'You were removed')).toBeVisible({ timeout: 90_000 });
  await expect(notice(bob, `${carol.name} is no longer in the group`)).toBeVisible({ timeout: 90_000 });
  await send(bob, texts[5]!);
  for (const p of [alice, dave]) await expect(message(p, texts[5]!)).toBeVisible({ timeout: 60_000 });
  await expect(message(carol, texts[5]!)).toHaveCount(0);
  await expect(carol.page.getByTestId('message-input')).toHaveCount(0);

  // What the relay forwarded holds none of it.
  const [g] = await readStore<{ id: string }>(alice.page, 'groups');
  const secrets: Secret[] = [
    ...texts.map((t) => ({ label: 'group text', value: t })),
    { label: 'group name', value: group },
    { label: 'group id', value: hexToBytes(g!.id) },
    { label: 'group id (hex)', value: g!.id },
  ];
  for (const p of [alice, bob, carol, dave])
    secrets.push(
      { label: `${p.name}: identity key`, value: await identityKey(p.page) },
      { label: `${p.name}: name`, value: p.name },
    );
  const frames = readRecording(relay.out).map((f) => f.raw);
  expect(frames.length).toBeGreaterThan(20);
  expect(findLeaks(secrets, frames)).toEqual([]);
  // Control: the scan finds the group id when it is there.
  expect(
    findLeaks(secrets, [...frames, JSON.stringify({ data: Buffer.from(hexToBytes(g!.id)).toString('base64') })]).length,
  ).toBeGreaterThan(0);
});

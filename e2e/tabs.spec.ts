/**
 * One person, several tabs (issue 17, docs/tabs.md): one tab of a profile owns the network; the
 * others write, accept and show through it, live; closing the owner hands the network to the
 * next tab without losing or repeating a message, and a transfer half way resumes there and
 * completes byte-identical. And, counted at a recording relay: however many tabs a profile has
 * open, at most one of them holds relay sockets.
 */
import { test, expect, type Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { expectConnected, message, person, send, makeInvite, type Person } from './support/app';
import { item, offerFiles, pair, progressOf, receivedHashes, sentBytes, sha256 } from './support/files';
import { recordingRelayFixture } from './support/recording';
import { E2E_PORT } from '../playwright.config';

const MiB = 1024 * 1024;
const owns = (page: Page) => page.getByTestId('app-shell');

/** Counts the RTCPeerConnections each page of the context makes from now on (`__pcs`). */
async function countPeerConnections(p: Person): Promise<void> {
  await p.context.addInitScript(() => {
    const w = window as unknown as { __pcs: number };
    w.__pcs = 0;
    const Orig = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Orig {
      constructor(config?: RTCConfiguration) {
        super(config);
        w.__pcs++;
      }
    };
  });
}
const peerConnections = (p: Person) => p.page.evaluate(() => (window as unknown as { __pcs: number }).__pcs);

/** Another tab of `p`'s profile (same browser context: same IndexedDB, same Web Locks). */
async function secondTab(p: Person): Promise<Person> {
  const page = await p.context.newPage();
  await page.goto('/');
  await expect(owns(page)).toHaveAttribute('data-network-owner', /true|false/);
  return { name: p.name, context: p.context, page };
}

/** Every listed text shows exactly once in `p`'s open chat. */
async function showsOnce(p: Person, texts: string[]): Promise<void> {
  for (const t of texts) await expect(message(p, t)).toHaveCount(1, { timeout: 30_000 });
}

/** The indices, in `p`'s chat, of the messages holding each text: ascending means in order. */
async function positions(p: Person, texts: string[]): Promise<number[]> {
  const all = await p.page.getByTestId('message-item').allTextContents();
  return texts.map((t) => all.findIndex((x) => x.includes(t)));
}

test.describe('several tabs of one person', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('both of Alice’s tabs write and show; closing the owner mid-transfer hands over without loss or repeats', async ({
    browser,
  }, info) => {
    test.setTimeout(300_000);
    const [a1, bob] = await pair(browser);
    people.push(a1, bob);
    await expect(owns(a1.page)).toHaveAttribute('data-network-owner', 'true');
    await countPeerConnections(a1);
    const a2 = await secondTab(a1);
    await expect(owns(a2.page)).toHaveAttribute('data-network-owner', 'false');
    await expect(a2.page.getByTestId('tab-follower')).toBeVisible();
    // The second tab shows the owner's link to Bob as its own.
    await expectConnected(a2, 'Bob');

    // Alice writes in both tabs, in turn: each message reaches Bob once, in order, and both tabs
    // show it delivered.
    const mine = ['one from tab 1', 'two from tab 2', 'three from tab 1', 'four from tab 2'];
    for (const [i, text] of mine.entries()) {
      await send(i % 2 === 0 ? a1 : a2, text);
      await expect(message(bob, text)).toHaveCount(1, { timeout: 30_000 });
      for (const tab of [a1, a2]) await expect(message(tab, text)).toHaveAttribute('data-delivered', 'true');
    }
    expect(await positions(bob, mine)).toEqual([...(await positions(bob, mine))].sort((x, y) => x - y));

    // Bob's replies show in both tabs.
    await send(bob, 'reply from Bob');
    for (const tab of [a1, a2]) await showsOnce(tab, ['reply from Bob']);

    // Alice offers a file from the tab that does not own the network: the owner sends it.
    const small = randomBytes(2 * MiB);
    await offerFiles(a2, { 'from-tab-2.bin': small }, info);
    await expect(item(bob, 'from-tab-2.bin').getByTestId('transfer-accept')).toBeVisible({ timeout: 60_000 });
    await item(bob, 'from-tab-2.bin').getByTestId('transfer-accept').click();
    for (const p of [bob, a1, a2])
      await expect(item(p, 'from-tab-2.bin').getByTestId('transfer-status')).toContainText('complete', {
        timeout: 60_000,
      });
    expect(await receivedHashes(bob, 'from-tab-2.bin')).toEqual({ 'from-tab-2.bin': sha256(small) });

    // Bob offers a file; Alice accepts it in the tab that does not own the network.
    const file = randomBytes(48 * MiB);
    await offerFiles(bob, { 'big.bin': file }, info);
    await expect(item(a2, 'big.bin').getByTestId('transfer-accept')).toBeVisible({ timeout: 60_000 });
    await item(a2, 'big.bin').getByTestId('transfer-accept').click();
    await expect
      .poll(() => progressOf(a2, 'big.bin'), { timeout: 120_000, intervals: [50] })
      .toBeGreaterThanOrEqual(25);

    // Until now the follower made no link of its own and sent nothing on a data channel.
    expect(await peerConnections(a2)).toBe(0);
    expect(await sentBytes(a2.page)).toBe(0);

    // Half way, Alice closes the owner tab while Bob writes three more.
    const late = ['late one', 'late two', 'late three'];
    await send(bob, late[0]!);
    await a1.page.close();
    await send(bob, late[1]!);
    await send(bob, late[2]!);

    // The other tab takes over: it receives the three once and the file completes byte-identical.
    await expect(owns(a2.page)).toHaveAttribute('data-network-owner', 'true', { timeout: 30_000 });
    await expect(a2.page.getByTestId('tab-follower')).toHaveCount(0);
    await expectConnected(a2, 'Bob');
    await showsOnce(a2, late);
    for (const p of [a2, bob])
      await expect(item(p, 'big.bin').getByTestId('transfer-status')).toContainText('complete', { timeout: 180_000 });
    expect(await receivedHashes(a2, 'big.bin')).toEqual({ 'big.bin': sha256(file) });

    // After a reload of everything each history holds every message once.
    await Promise.all([a2.page.reload(), bob.page.reload()]);
    await expectConnected(a2, 'Bob');
    await expectConnected(bob, 'Alice');
    const all = [...mine, 'reply from Bob', ...late];
    await showsOnce(a2, all);
    await showsOnce(bob, all);
  });
});

test.describe('relay sockets of one profile', () => {
  const fx = recordingRelayFixture();

  test('three tabs of one profile: at most one of them ever holds relay sockets, also across a hand-over', async ({
    browser,
  }) => {
    const relay = await fx.start(E2E_PORT + 31, 'tabs');
    const a1 = await person(browser, 'Alice', { baseURL: relay.url });
    fx.people.push(a1);
    // An open invite adds the invite room's socket to the day's: everything one tab holds.
    await makeInvite(a1);
    await expect.poll(async () => (await relay.sockets()).open).toBeGreaterThan(0);
    const one = await relay.sockets();

    const a2 = await secondTab(a1);
    const a3 = await secondTab(a1);
    for (const t of [a2, a3]) await expect(t.page.getByTestId('tab-follower')).toBeVisible();
    // The followers had their chance to open sockets: they show the owner's state by now.
    await expect(a2.page.getByTestId('invite-create')).toBeVisible();
    expect(await relay.sockets()).toEqual(one);

    // The owner closes: exactly one of the others takes over and opens its own sockets.
    await a1.page.close();
    await expect
      .poll(async () =>
        [
          await owns(a2.page).getAttribute('data-network-owner'),
          await owns(a3.page).getAttribute('data-network-owner'),
        ].sort(),
      )
      .toEqual(['false', 'true']);
    await expect.poll(async () => (await relay.sockets()).open).toBeGreaterThan(0);
    const after = await relay.sockets();
    expect(after.peak).toBe(one.peak);
  });
});

/**
 * Versions that meet, through the real UI (docs/protocol.md "Compatibility", docs/app.md
 * "Versions"): Bob's page is started as an older Parley with the test switch
 * (`localStorage['parley.test.version']`, set before the app loads), Alice's is current.
 */
import { test, expect, type BrowserContext } from '@playwright/test';
import { expectConnected, makeInvite, message, openInviteLink, person, send, type Person } from './support/app';
import { item, offerFiles } from './support/files';

const SWITCH = 'parley.test.version';
const olderAs = (version: string) => async (c: BrowserContext) => {
  await c.addInitScript(([k, v]) => localStorage.setItem(k!, v!), [SWITCH, version]);
};

async function pairOlderBob(browser: Parameters<typeof person>[0], version: string): Promise<[Person, Person]> {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob', { init: olderAs(version) });
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  return [alice, bob];
}

async function chatBothWays(alice: Person, bob: Person, n: number): Promise<void> {
  await send(alice, `to Bob ${n}`);
  await send(bob, `to Alice ${n}`);
  await expect(message(bob, `to Bob ${n}`)).toHaveCount(1, { timeout: 30_000 });
  await expect(message(alice, `to Alice ${n}`)).toHaveCount(1, { timeout: 30_000 });
  // Receipted both ways: each outbox drained.
  await expect(message(alice, `to Bob ${n}`)).toHaveAttribute('data-delivered', 'true', { timeout: 30_000 });
  await expect(message(bob, `to Alice ${n}`)).toHaveAttribute('data-delivered', 'true', { timeout: 30_000 });
}

test.describe('versions that meet', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('an older Parley without file keys: chat both ways, file offers refused up front with the reason, also after a reload', async ({
    browser,
  }, info) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pairOlderBob(browser, 'v2:unsupported-ack');
    people.push(alice, bob);
    await chatBothWays(alice, bob, 1);

    // Alice's chat says what Bob's Parley cannot take, and her file offer is refused before anything is stored or sent.
    await expect(alice.page.getByTestId('peer-version')).toContainText(
      "Bob's Parley is older and cannot receive files",
    );
    await offerFiles(alice, { 'notes.txt': new TextEncoder().encode('for Bob\n') }, info);
    const problem = alice.page.getByTestId('transfer-problem');
    await expect(problem).toHaveAttribute('data-code', 'PEER_TOO_OLD');
    await expect(problem).toContainText('Ask Bob to reload Parley');
    await expect(item(alice, 'notes.txt')).toHaveCount(0);
    // Bob's own (older) page cannot send files either, and says so.
    await offerFiles(bob, { 'back.txt': new TextEncoder().encode('for Alice\n') }, info);
    await expect(bob.page.getByTestId('transfer-problem')).toHaveAttribute('data-code', 'VERSION_TOO_OLD');
    await expect(item(bob, 'back.txt')).toHaveCount(0);
    await expect(item(alice, 'back.txt')).toHaveCount(0);

    // After a reload Bob is still the older version (the switch is read at each start), and it still works.
    await bob.page.reload();
    await expectConnected(bob, 'Alice');
    await chatBothWays(alice, bob, 2);
    await expect(alice.page.getByTestId('peer-version')).toBeVisible();
    // Nothing a peer sends sets the switch: Alice's page never had it.
    expect(await alice.page.evaluate((k) => localStorage.getItem(k), SWITCH)).toBeNull();
  });

  test('version 1 (no announcement at all): chat both ways; its transfers are protocol 1, so a file offer is refused up front with the reason', async ({
    browser,
  }, info) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pairOlderBob(browser, 'v1');
    people.push(alice, bob);
    await chatBothWays(alice, bob, 1);
    await expect(alice.page.getByTestId('peer-version')).toContainText(
      "Bob's Parley is older and cannot receive files from this version.",
    );
    await offerFiles(alice, { 'small.txt': new TextEncoder().encode('hello from Alice\n'.repeat(50)) }, info);
    const problem = alice.page.getByTestId('transfer-problem');
    await expect(problem).toHaveAttribute('data-code', 'PEER_TOO_OLD');
    await expect(problem).toContainText('Ask Bob to reload Parley');
    await expect(item(alice, 'small.txt')).toHaveCount(0);
    await expect(item(bob, 'small.txt')).toHaveCount(0);
  });

  test('an older Parley with the same transfer protocol (no groups): a file still arrives', async ({
    browser,
  }, info) => {
    test.setTimeout(180_000);
    const [alice, bob] = await pairOlderBob(browser, 'v2:file-chunk-v3,file-key,unsupported-ack');
    people.push(alice, bob);
    await expect(alice.page.getByTestId('peer-version')).toHaveCount(0);
    await offerFiles(alice, { 'small.txt': new TextEncoder().encode('hello from Alice\n'.repeat(50)) }, info);
    await item(bob, 'small.txt').getByTestId('transfer-accept').click({ timeout: 30_000 });
    await expect(item(alice, 'small.txt')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await expect(item(bob, 'small.txt')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
  });
});

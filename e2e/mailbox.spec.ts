/**
 * The mailbox at the relay (issue 12, app side; docs/app.md "Mailbox"): messages written to a
 * friend whose Parley is closed wait at the relay, sealed, and reach the friend when they open
 * Parley — even after the writer closed hers — once and in order; the writer sees them delivered
 * when she comes back. Real Chromium, real relay processes; the second test runs two relay
 * instances sharing one real redis-server, the writer's origin served by instance 1 behind a
 * failover balancer, the reader's by instance 2.
 */
import { test, expect, type BrowserContext } from '@playwright/test';
import {
  contextOptions,
  chooseName,
  expectConnected,
  makeInvite,
  message,
  openInviteLink,
  pasteInvite,
  send,
  type Person,
} from './support/app';
import { spawnRelay, type RelayProcess } from './support/spawn-relay';
import { startRedis, type Service } from '../test/support/services';
import { startBalancer, type Balancer } from '../test/support/tcp-balancer';
import { E2E_PORT } from '../playwright.config';

const AWAY = ['away 1: are you there?', 'away 2: the keys are under the mat', 'away 3: see you Sunday'];

/** The tick of our message `text`. */
const tick = (p: Person, text: string) => message(p, text).getByTestId('message-delivered');

/** Opens Parley again in `p`'s browser (same profile, so same identity and history) and opens the chat with `other`. */
async function reopen(p: Person, other: string): Promise<void> {
  p.page = await p.context.newPage();
  await p.page.goto('/');
  await p.page.getByTestId('contact-item').filter({ hasText: other }).click();
}

/**
 * The scenario on paired and connected Alice and Bob: Bob closes his tab; Alice writes
 * three messages, sees them waiting at the relay, and closes hers; Bob opens Parley and receives
 * all three, in order, once; Alice comes back and sees them delivered.
 */
async function whileBobIsAway(alice: Person, bob: Person): Promise<void> {
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-status')).toHaveAttribute('data-state', 'waiting', {
    timeout: 45_000,
  });
  for (const text of AWAY) await send(alice, text);
  for (const text of AWAY) await expect(tick(alice, text)).toHaveAttribute('data-state', 'mailbox');
  await expect(tick(alice, AWAY[0]!)).toContainText('waiting for Bob to come online');
  await alice.page.close();

  await reopen(bob, 'Alice');
  const received = bob.page.getByTestId('message-item').filter({ hasText: /away \d: / });
  await expect(received).toHaveText(AWAY.map((t) => new RegExp(t)));
  await expect(bob.page.getByTestId('connection-status')).not.toHaveAttribute('data-state', 'connected');

  await reopen(alice, 'Bob');
  for (const text of AWAY) await expect(tick(alice, text)).toHaveAttribute('data-state', 'delivered');
  await expect(tick(alice, AWAY[0]!)).toContainText('delivered');
  // Once: the link that comes up now sends nothing twice into Bob's chat.
  await expectConnected(bob, 'Alice');
  await send(alice, 'back again');
  await expect(message(bob, 'back again')).toBeVisible();
  await expect(received).toHaveCount(3);
}

test.describe('the mailbox at the relay', () => {
  const contexts: BrowserContext[] = [];
  const services: { stop(): Promise<void> }[] = [];
  test.afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    for (const s of services.splice(0).reverse()) await s.stop();
  });

  async function join(browser: import('@playwright/test').Browser, name: string, baseURL?: string): Promise<Person> {
    const context = await browser.newContext(contextOptions(baseURL));
    contexts.push(context);
    const page = await context.newPage();
    await page.goto('/');
    await chooseName(page, name);
    return { name, context, page };
  }

  test('Bob, away while Alice writes and leaves, gets her messages once and in order; she sees them delivered', async ({
    browser,
  }) => {
    const alice = await join(browser, 'Alice');
    const bob = await join(browser, 'Bob');
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await whileBobIsAway(alice, bob);
  });

  test('two relay instances sharing redis: pairing, chat and the mailbox across them; Alice goes on on instance 2 when 1 stops', async ({
    browser,
  }) => {
    const redis: Service & { url: string } = await startRedis();
    services.push(redis);
    const env = { REDIS_URL: redis.url };
    const one: RelayProcess = await spawnRelay('../../server/main.ts', E2E_PORT + 5, env);
    services.push(one);
    const two: RelayProcess = await spawnRelay('../../server/main.ts', E2E_PORT + 6, env);
    services.push(two);
    // Alice's origin: instance 1 while it runs, then instance 2 (a load balancer's failover).
    const front: Balancer = await startBalancer([one.port, two.port], { order: 'failover' });
    services.push({ stop: () => front.close() });
    const alice = await join(browser, 'Alice', `http://127.0.0.1:${front.port}`);
    const bob = await join(browser, 'Bob', two.url);
    expect(new Set(front.routed)).toEqual(new Set([one.port]));

    await pasteInvite(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await send(alice, 'hello from instance 1');
    await expect(message(bob, 'hello from instance 1')).toBeVisible();
    await send(bob, 'hello from instance 2');
    await expect(message(alice, 'hello from instance 2')).toBeVisible();

    await whileBobIsAway(alice, bob);
    expect(new Set(front.routed)).toEqual(new Set([one.port]));

    await one.stop();
    await alice.page.close();
    await reopen(alice, 'Bob');
    await expectConnected(alice, 'Bob');
    expect(front.routed.at(-1)).toBe(two.port);
    await send(alice, 'still here, on instance 2');
    await expect(message(bob, 'still here, on instance 2')).toBeVisible();
    await send(bob, 'so I see');
    await expect(message(alice, 'so I see')).toBeVisible();
  });
});

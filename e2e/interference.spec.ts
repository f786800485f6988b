import { test, expect } from '@playwright/test';
import { makeInvite, contextOptions, chooseName, expectError, type Person } from './support/app';
import { startHostileRelay, type HostileRelay } from './support/hostile-relay';
import { E2E_PORT } from '../playwright.config';

test.describe('a man in the middle at the relay', () => {
  let relay: HostileRelay | undefined;
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
    await relay?.close();
  });

  test('who knows the invite and swaps the SDP: the handshake fails, nothing passes, and both people are told', async ({ browser }) => {
    relay = await startHostileRelay(E2E_PORT + 2);
    const join = async (name: string): Promise<Person> => {
      const context = await browser.newContext(contextOptions(relay!.url));
      const page = await context.newPage();
      await page.goto('/');
      await chooseName(page, name);
      return { name, context, page };
    };
    const alice = await join('Alice');
    const bob = await join('Bob');
    people.push(alice, bob);

    const link = await makeInvite(alice);
    await relay.attack(link);
    await bob.page.goto(link);

    await expectError(bob, 'HANDSHAKE_FAILED');
    await expect(bob.page.getByTestId('error-banner')).toContainText('could not be verified — someone may be interfering');
    await expectError(alice, 'HANDSHAKE_FAILED');

    // The attack really happened: each browser opened a data channel to the middle, and the
    // middle carried handshake bytes between them.
    expect(relay.stats.intercepted).toBeGreaterThan(0);
    expect(relay.stats.bridgesOpened).toBeGreaterThan(0);
    expect(relay.stats.relayedMessages).toBeGreaterThan(0);

    // Nobody was paired, so no chat message can pass.
    for (const p of [alice, bob]) {
      await expect(p.page.getByTestId('contact-item')).toHaveCount(0);
      await expect(p.page.getByTestId('message-item')).toHaveCount(0);
      await expect(p.page.getByTestId('message-input')).toHaveCount(0);
    }
  });
});

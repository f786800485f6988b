import { test, expect } from '@playwright/test';
import {
  contextOptions,
  chooseName,
  makeInvite,
  expectConnected,
  send,
  message,
  type Person,
  openInviteLink,
} from './support/app';
import { spawnRelay, type RelayProcess } from './support/spawn-relay';
import { E2E_PORT } from '../playwright.config';

test.describe('when the relay goes away', () => {
  let relay: RelayProcess | undefined;
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
    await relay?.stop();
  });

  test('the app says so, keeps retrying, and recovers by itself; a live chat is not affected', async ({ browser }) => {
    const port = E2E_PORT + 3;
    relay = await spawnRelay('../../server/main.ts', port, {});
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
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');

    await relay.stop();
    const banner = alice.page.getByTestId('error-banner');
    await expect(banner).toHaveAttribute('data-code', 'RELAY_DOWN');
    await expect(banner).toContainText('cannot be reached');
    await expect(banner).toContainText('Retrying');
    // The data channel is direct: chatting goes on without the relay.
    await send(alice, 'still here without the relay');
    await expect(message(bob, 'still here without the relay')).toBeVisible();

    relay = await spawnRelay('../../server/main.ts', port, {});
    await expect(banner).toHaveCount(0, { timeout: 60_000 });
  });
});

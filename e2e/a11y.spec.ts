/**
 * An automated accessibility scan (axe-core) of the main screens, on a desktop and a phone
 * viewport (issue 15, docs/app.md "Accessibility"): no serious or critical violations. And the
 * message list is a live log that names the sender of each new message.
 */
import { test, expect, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { writeFile } from 'node:fs/promises';
import {
  contextOptions,
  makeInvite,
  expectConnected,
  pairedPeople,
  person,
  send,
  message,
  type Person,
} from './support/app';

async function scan(page: Page, info: TestInfo, screen: string): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await info.attach(`axe-${screen}.json`, {
    body: JSON.stringify(r.violations, null, 2),
    contentType: 'application/json',
  });
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    `serious or critical axe violations on ${screen}`,
  ).toEqual([]);
}

test.describe('accessibility', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('axe finds no serious or critical violation on the main screens, desktop and phone', async ({
    browser,
  }, info) => {
    test.setTimeout(240_000); // eight scans on a shared machine
    // First visit: the name form.
    const ctx = await browser.newContext(contextOptions());
    const first = await ctx.newPage();
    await first.goto('/');
    await expect(first.getByTestId('display-name-input')).toBeVisible();
    await scan(first, info, 'name-form');
    await ctx.close();

    const alice = await person(browser, 'Alice');
    const bob = await person(browser, 'Bob');
    people.push(alice, bob);
    await scan(alice.page, info, 'no-contacts');
    await bob.page.goto(await makeInvite(alice));
    await scan(alice.page, info, 'invite-shown');
    await bob.page.getByTestId('invite-confirm').click();
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await send(alice, 'Hello Bob');
    await send(bob, 'Hi Alice\nHow are you?');
    await expect(message(alice, 'How are you?')).toBeVisible();
    const path = info.outputPath('notes.txt');
    await writeFile(path, 'some notes');
    await alice.page.getByTestId('file-input').setInputFiles(path);
    await expect(bob.page.getByTestId('transfer-accept')).toBeVisible();
    await scan(bob.page, info, 'chat-with-offer');
    await bob.page.getByTestId('backup-open').click();
    await bob.page.getByTestId('identity-open').click();
    await scan(bob.page, info, 'backup-and-identity');

    // The same screens on a phone.
    await bob.page.setViewportSize({ width: 360, height: 740 });
    await scan(bob.page, info, 'phone-chat-open');
    await bob.page.getByTestId('chat-back').click();
    await scan(bob.page, info, 'phone-list');
    await bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
    await scan(bob.page, info, 'phone-chat');
  });

  test('the message list is a live log; a new message is announced with its sender', async ({ browser }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    const log = bob.page.getByRole('log', { name: 'Messages with Alice' });
    await expect(log).toHaveAttribute('aria-relevant', 'additions');
    await send(alice, 'Are you there?');
    // What the live region adds is the item, whose accessible text starts with the sender.
    await expect(log.getByTestId('message-item').filter({ hasText: 'Are you there?' })).toHaveText(
      /^\s*Alice:\s*Are you there\?/,
    );
    await send(bob, 'Yes');
    await expect(log.getByTestId('message-item').filter({ hasText: 'Yes' })).toHaveText(/^\s*You:\s*Yes/);
  });
});

/**
 * The open chat is patched, not reloaded, per message (review-2026-11-app L3, docs/app.md "Chat
 * history"): Bob's page counts its reads of a whole history from IndexedDB (the
 * `byContactTime` index's `getAll`) while Alice sends a burst; order and delivered marks stay
 * right on both sides and match what a reload shows.
 */
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { person, makeInvite, expectConnected, send, type Person, openInviteLink } from './support/app';

async function countHistoryReads(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __historyReads: number };
    w.__historyReads = 0;
    const getAll = IDBIndex.prototype.getAll;
    IDBIndex.prototype.getAll = function (this: IDBIndex, ...args: Parameters<IDBIndex['getAll']>) {
      if (this.name === 'byContactTime') w.__historyReads++;
      return getAll.apply(this, args);
    };
  });
}
const historyReads = (page: Page) =>
  page.evaluate(() => (window as unknown as { __historyReads: number }).__historyReads);
const texts = (p: Person) => p.page.getByTestId('message-item').locator('.text').allTextContents();

test('a burst of messages patches the open chat in order, without reading the whole history per message', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const alice = await person(browser, 'Alice', { init: countHistoryReads });
  const bob = await person(browser, 'Bob', { init: countHistoryReads });
  try {
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    const [bobBefore, aliceBefore] = [await historyReads(bob.page), await historyReads(alice.page)];

    const sent = Array.from({ length: 30 }, (_, i) => `burst ${String(i).padStart(2, '0')}`);
    for (const t of sent) await send(alice, t);
    await expect(bob.page.getByTestId('message-item')).toHaveCount(30, { timeout: 60_000 });
    await expect(alice.page.locator('[data-testid="message-item"][data-delivered="true"]')).toHaveCount(30, {
      timeout: 60_000,
    });
    expect(await texts(bob)).toEqual(sent);
    expect(await texts(alice)).toEqual(sent);
    // 30 messages and 30 receipts: before the fix each one re-read the whole history (60 reads).
    expect((await historyReads(bob.page)) - bobBefore).toBeLessThanOrEqual(2);
    expect((await historyReads(alice.page)) - aliceBefore).toBeLessThanOrEqual(2);

    // What a reload reads from IndexedDB is what the patched view showed.
    await alice.page.reload();
    await expectConnected(alice, 'Bob');
    expect(await texts(alice)).toEqual(sent);
    await expect(alice.page.locator('[data-testid="message-item"][data-delivered="true"]')).toHaveCount(30);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

/**
 * System notifications and the app badge (docs/pwa.md "Notifications"): Bob, paired with Alice and
 * Carol through the real relay, reads Carol's chat. The browser's Notification API is replaced by a
 * spy (with the permission granted) that records each notification; the page is sent to the
 * background the way a browser does it (visibilityState + visibilitychange), as in unread.spec.ts.
 */
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import {
  person,
  makeInvite,
  expectConnected,
  send,
  message,
  openInviteLink,
  setInFront,
  type Person,
} from './support/app';
import { item, offerFiles } from './support/files';

interface Spy {
  notes: { title: string; body: string; tag: string; clicked?: boolean }[];
  asked: number;
  badge: number | null;
}

/** Replaces `Notification` and the Badging API with recorders; the permission is granted when asked. */
async function spyOnNotifications(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const spy: Spy = { notes: [], asked: 0, badge: null };
    const w = window as unknown as { __spy: Spy; __open: Record<number, () => void> };
    w.__spy = spy;
    w.__open = {};
    let permission: NotificationPermission = 'default';
    class FakeNotification {
      static get permission() {
        return permission;
      }
      static requestPermission() {
        spy.asked++;
        permission = 'granted';
        return Promise.resolve(permission);
      }
      onclick: (() => void) | null = null;
      constructor(title: string, o: NotificationOptions = {}) {
        const i = spy.notes.push({ title, body: o.body ?? '', tag: o.tag ?? '' }) - 1;
        w.__open[i] = () => this.onclick?.();
      }
      close() {}
    }
    Object.defineProperty(window, 'Notification', { configurable: true, value: FakeNotification });
    Object.defineProperty(navigator, 'setAppBadge', {
      configurable: true,
      value: (n: number) => ((spy.badge = n), Promise.resolve()),
    });
    Object.defineProperty(navigator, 'clearAppBadge', {
      configurable: true,
      value: () => ((spy.badge = 0), Promise.resolve()),
    });
  });
}
const spyOf = (page: Page) => page.evaluate(() => (window as unknown as { __spy: Spy }).__spy);
const notes = async (page: Page) => (await spyOf(page)).notes;

test.describe('notifications', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('asked only on a click; raised for news while the page is hidden and never while it is visible; previews only when allowed; a click opens the chat; off means none', async ({
    browser,
  }, info) => {
    test.setTimeout(240_000);
    const alice = await person(browser, 'Alice');
    const bob = await person(browser, 'Bob', { init: spyOnNotifications });
    const carol = await person(browser, 'Carol');
    people.push(alice, bob, carol);
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await openInviteLink(carol, await makeInvite(bob));
    await expectConnected(carol, 'Bob');
    await expectConnected(bob, 'Carol'); // Bob reads Carol's chat

    // Nothing was asked on load; after the first contact the app offers, and asks only on the click.
    await expect(bob.page.getByTestId('notifications-offer')).toBeVisible();
    expect((await spyOf(bob.page)).asked).toBe(0);
    await bob.page.getByTestId('notifications-offer-enable').click();
    await expect(bob.page.getByTestId('notifications-offer')).toHaveCount(0);
    expect((await spyOf(bob.page)).asked).toBe(1);
    await bob.page.getByTestId('identity-open').click();
    await expect(bob.page.getByTestId('notifications-state')).toContainText('On');
    await expect(bob.page.getByTestId('notifications-preview')).not.toBeChecked();

    // In front: Alice's message counts as unread and shows on the badge, but no notification.
    const aliceItem = bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' });
    await send(alice, 'while Bob looks');
    await expect(aliceItem.getByTestId('contact-unread')).toHaveText(/^1/, { timeout: 30_000 });
    await expect.poll(async () => (await spyOf(bob.page)).badge).toBe(1);
    expect(await notes(bob.page)).toEqual([]);

    // In the background: one notification with Alice's name and no text (previews are off).
    await setInFront(bob.page, false);
    await send(alice, 'a secret in the background');
    await expect.poll(async () => (await notes(bob.page)).length, { timeout: 30_000 }).toBe(1);
    const [first] = await notes(bob.page);
    expect(first).toMatchObject({ title: 'Alice', body: 'New message' });
    expect(JSON.stringify(first)).not.toContain('secret');
    await expect.poll(async () => (await spyOf(bob.page)).badge).toBe(2);

    // With previews allowed, the text is shown; a file offer says what is offered.
    await bob.page.getByTestId('notifications-preview').check();
    await send(alice, 'now with a preview');
    await expect.poll(async () => (await notes(bob.page)).length, { timeout: 30_000 }).toBe(2);
    expect((await notes(bob.page))[1]).toMatchObject({ title: 'Alice', body: 'now with a preview' });
    await offerFiles(alice, { 'plan.txt': new TextEncoder().encode('the plan') }, info);
    await expect.poll(async () => (await notes(bob.page)).length, { timeout: 30_000 }).toBe(3);
    expect((await notes(bob.page))[2]).toMatchObject({ title: 'Alice', body: 'Wants to send you plan.txt' });

    // A click on the notification opens Alice's chat.
    await expect(bob.page.getByRole('heading', { name: 'Carol', exact: true })).toBeVisible();
    await bob.page.evaluate(() => (window as unknown as { __open: Record<number, () => void> }).__open[1]!());
    await expect(bob.page.getByRole('heading', { name: 'Alice', exact: true })).toBeVisible();
    await expect(message(bob, 'now with a preview')).toBeVisible();
    await expect(item(bob, 'plan.txt')).toBeVisible();

    // Back in front: nothing is raised even from another chat; the badge clears with what was read.
    await setInFront(bob.page, true);
    await expect.poll(async () => (await spyOf(bob.page)).badge).toBe(0);
    await send(carol, 'Carol while Bob looks');
    await expect(
      bob.page.getByTestId('contact-item').filter({ hasText: 'Carol' }).getByTestId('contact-unread'),
    ).toHaveText(/^1/, { timeout: 30_000 });
    expect(await notes(bob.page)).toHaveLength(3);

    // Bob's own label for Alice is the notification's title (docs/app.md "Renaming a contact").
    await bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
    await bob.page.getByTestId('contact-rename').click();
    await bob.page.getByTestId('contact-rename-input').fill('Alice from choir');
    await bob.page.getByTestId('contact-rename-save').click();
    await expect(bob.page.getByTestId('chat-heading')).toContainText('Alice from choir');
    await setInFront(bob.page, false);
    await send(alice, 'by her label');
    await expect.poll(async () => (await notes(bob.page)).length, { timeout: 30_000 }).toBe(4);
    expect((await notes(bob.page))[3]).toMatchObject({ title: 'Alice from choir', body: 'by her label' });
    await setInFront(bob.page, true);

    // Turned off in Parley (the browser still allows it): none in the background either.
    await bob.page.getByTestId('notifications-disable').click();
    await setInFront(bob.page, false);
    await send(alice, 'after turning them off');
    await expect(message(bob, 'after turning them off')).toBeVisible({ timeout: 30_000 });
    expect(await notes(bob.page)).toHaveLength(4);
  });
});

/**
 * A phone (360×740) walk-through and the message states (issue 15, docs/app.md "Phones and
 * keyboards", "Message states"): pair, open the chat, back to the list, a two-line message typed
 * with Shift+Enter, a file accepted; screenshots attached to the report.
 */
import { test, expect, type Browser, type Page, type TestInfo } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import {
  contextOptions,
  chooseName,
  makeInvite,
  expectConnected,
  message,
  person,
  send,
  pairedPeople,
  type Person,
} from './support/app';

const PHONE = { width: 360, height: 740 };

async function phonePerson(browser: Browser, name: string): Promise<Person> {
  const context = await browser.newContext({ ...contextOptions(), viewport: PHONE, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto('/');
  await chooseName(page, name);
  return { name, context, page };
}

async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  await info.attach(name, { body: await page.screenshot(), contentType: 'image/png' });
}

/** Visible buttons, links and form controls smaller than 44×44 px (checkboxes aside: their label is the target). */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, a[href], textarea, input:not([type=checkbox]), summary')]
      .filter((el) => el.offsetParent !== null && !el.classList.contains('sr-only'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.height < 44 || r.width < 44;
      })
      .map((el) => `${el.tagName} ${el.dataset.testid ?? el.textContent?.trim().slice(0, 30)}`),
  );
}

const noSideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test.describe('on a phone', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('pair, open the chat, back to the list, send a two-line message, accept a file', async ({ browser }, info) => {
    const alice = await person(browser, 'Alice');
    const bob = await phonePerson(browser, 'Bob');
    people.push(alice, bob);
    await shot(bob.page, info, '1-phone-start');
    expect(await noSideScroll(bob.page)).toBe(true);

    // Bob follows Alice's link on his phone; after Connect the list shows her.
    await bob.page.goto(await makeInvite(alice));
    await bob.page.getByTestId('invite-confirm').click();
    const aliceItem = bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' });
    await expect(aliceItem).toBeVisible();
    await expect(bob.page.getByTestId('message-input')).toBeHidden(); // list and chat are two screens
    await shot(bob.page, info, '2-phone-contacts');

    // Open the chat: it replaces the list.
    await aliceItem.click();
    await expect(bob.page.getByTestId('connection-status')).toContainText('connected', { timeout: 45_000 });
    await expect(bob.page.getByTestId('contact-list')).toBeHidden();
    await expectConnected(alice, 'Bob');
    await shot(bob.page, info, '3-phone-chat');

    // Focus follows the screens: the opened chat's heading has it (the list item that had it is gone).
    await expect(bob.page.getByTestId('chat-heading')).toBeFocused();

    // Back to the list (focus returns to the contact that was opened), and into the chat again by keyboard.
    await bob.page.getByTestId('chat-back').click();
    await expect(aliceItem).toBeVisible();
    await expect(aliceItem).toBeFocused();
    await expect(bob.page.getByTestId('message-input')).toBeHidden();
    await bob.page.keyboard.press('Enter');
    await expect(bob.page.getByTestId('chat-heading')).toBeFocused();
    await bob.page.getByTestId('chat-back').press('Enter');
    await expect(aliceItem).toBeFocused();
    await aliceItem.click();

    // Shift+Enter breaks the line, Enter sends.
    const box = bob.page.getByTestId('message-input');
    await box.click();
    await box.pressSequentially('first line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    await expect(box).toHaveValue('first line\nsecond line');
    await box.press('Enter');
    await expect(box).toHaveValue('');
    const got = message(alice, 'second line');
    await expect(got).toHaveAttribute('data-direction', 'in');
    expect(await got.locator('.text').innerText()).toBe('first line\nsecond line');
    await expect(message(bob, 'second line')).toHaveAttribute('data-delivered', 'true');

    // Alice sends a file; Bob accepts it on the phone and gets its Save link.
    const path = info.outputPath('photo.txt');
    await writeFile(path, 'a small file for the phone');
    await alice.page.getByTestId('file-input').setInputFiles(path);
    const offer = bob.page.getByTestId('transfer-item').filter({ hasText: 'photo.txt' });
    await offer.getByTestId('transfer-accept').click();
    await expect(offer).toHaveAttribute('data-status', 'done');
    await expect(offer.getByTestId('transfer-download')).toBeVisible();
    await shot(bob.page, info, '4-phone-file');

    // A file pasted into the message box is offered (a paste event carrying a file, as a phone's
    // or desktop's clipboard gives it); the box keeps no text.
    await bob.page.getByTestId('message-input').evaluate((el) => {
      const dt = new DataTransfer();
      dt.items.add(new File(['pasted bytes'], 'pasted.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    });
    const pasted = alice.page.getByTestId('transfer-item').filter({ hasText: 'pasted.png' });
    await pasted.getByTestId('transfer-accept').click();
    await expect(pasted).toHaveAttribute('data-status', 'done');
    await expect(bob.page.getByTestId('message-input')).toHaveValue('');

    // Everything on the chat screen is a big enough target, and nothing scrolls sideways.
    expect(await smallTargets(bob.page)).toEqual([]);
    expect(await noSideScroll(bob.page)).toBe(true);
    await bob.page.getByTestId('chat-back').click();
    expect(await smallTargets(bob.page)).toEqual([]);
  });

  test('every action is reachable by keyboard with a visible focus', async ({ browser }) => {
    const bob = await phonePerson(browser, 'Bob');
    people.push(bob);
    // Tab through the whole screen: each focused element shows an outline (or a box shadow).
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      await bob.page.keyboard.press('Tab');
      const f = await bob.page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const s = getComputedStyle(el);
        const ring = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
        return { id: el.dataset.testid ?? el.tagName, ring };
      });
      if (!f) continue;
      expect(f.ring, `focus ring on ${f.id}`).toBe(true);
      seen.push(f.id);
    }
    expect(seen).toEqual(
      expect.arrayContaining(['invite-create', 'invite-open-input', 'backup-open', 'identity-open']),
    );
  });
});

test.describe('message states', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('a message waiting for its reader shows pending, then where it waits, then delivered, in that order', async ({
    browser,
  }) => {
    const [alice, bob] = await pairedPeople(browser, people);
    // Bob leaves; Alice writes to him: the message waits in her outbox, then (once her Parley has
    // left it at the relay's mailbox) there, until Bob's Parley confirms it.
    await bob.page.close();
    await expect(alice.page.getByTestId('connection-status')).toContainText('waiting for Bob');
    // Every state the tick shows, from the moment it is drawn (the observer is there before the message).
    await alice.page.evaluate(() => {
      const w = window as unknown as { __states: string[] };
      w.__states = [];
      const read = () => {
        const item = [...document.querySelectorAll('[data-testid="message-item"]')].find((li) =>
          li.textContent?.includes('written while Bob is away'),
        );
        const state = item?.querySelector<HTMLElement>('[data-testid="message-delivered"]')?.dataset.state;
        if (state && w.__states.at(-1) !== state) w.__states.push(state);
      };
      new MutationObserver(read).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-state'],
      });
    });
    await send(alice, 'written while Bob is away');
    const tick = message(alice, 'written while Bob is away').getByTestId('message-delivered');
    await expect(tick).not.toHaveAttribute('data-state', 'delivered');
    bob.page = await bob.context.newPage();
    await bob.page.goto('/');
    await expect(message(bob, 'written while Bob is away')).toBeVisible({ timeout: 45_000 });
    await expect(tick).toHaveAttribute('data-state', 'delivered');
    const states = await alice.page.evaluate(() => (window as unknown as { __states: string[] }).__states);
    // First pending (never "sent" before it left), last delivered, and never a step back.
    const order = ['pending', 'mailbox', 'sent', 'delivered'];
    expect(states[0]).toBe('pending');
    expect(states.at(-1)).toBe('delivered');
    expect(states.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < states.length; i++)
      expect(order.indexOf(states[i]!), `${states.join(' → ')}`).toBeGreaterThan(order.indexOf(states[i - 1]!));
    // A reload keeps it delivered.
    await alice.page.reload();
    await expect(message(alice, 'written while Bob is away').getByTestId('message-delivered')).toHaveAttribute(
      'data-state',
      'delivered',
    );
  });
});

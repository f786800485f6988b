/**
 * Shared fixtures for the app's end-to-end tests: people as separate browser contexts (their
 * own IndexedDB) driving the real UI through its data-testids, against a real relay process.
 */
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { E2E_PORT } from '../../playwright.config';

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** Context options every person gets: loopback WebRTC needs camera+microphone (NOTES.md). */
export function contextOptions(baseURL = `http://127.0.0.1:${E2E_PORT}`) {
  return { baseURL, permissions: ['camera', 'microphone', 'clipboard-read', 'clipboard-write'] };
}

/**
 * A new person: fresh context, app opened, display name chosen. `init` runs on the context before
 * the first page loads (e.g. `spyOnWebRTC`).
 */
export async function person(
  browser: Browser,
  name: string,
  opts: { baseURL?: string; path?: string; init?: (c: BrowserContext) => Promise<void> } = {},
): Promise<Person> {
  const context = await browser.newContext(contextOptions(opts.baseURL));
  await opts.init?.(context);
  const page = await context.newPage();
  await page.goto(opts.path ?? '/');
  await chooseName(page, name);
  return { name, context, page };
}

export async function chooseName(page: Page, name: string): Promise<void> {
  await page.getByTestId('display-name-input').fill(name);
  await page.getByTestId('display-name-save').click();
  await expect(page.getByTestId('invite-create')).toBeVisible();
}

/** Clicks "Invite someone" and returns the full link shown. */
export async function makeInvite(p: Person): Promise<string> {
  const el = p.page.getByTestId('invite-link');
  // After a pairing the panel keeps showing the used link until the new one is made: wait for a
  // different link, or a quick reader takes the used one (and gets INVITE_USED, not the test's error).
  const before = (await el.count()) > 0 ? await el.inputValue() : '';
  await p.page.getByTestId('invite-create').click();
  await expect(el).toHaveValue(/#invite=/);
  if (before) await expect(el).not.toHaveValue(before);
  return el.inputValue();
}

/**
 * Pastes a link or code into "Got an invite?", submits it, and — when the app asks whether to
 * connect (docs/app.md "Invites (invitee)") — clicks Connect. A link the app refuses at once
 * (malformed, tampered, expired) shows its error instead, and nothing is clicked.
 */
export async function pasteInvite(p: Person, text: string): Promise<void> {
  await p.page.getByTestId('invite-open-input').fill(text);
  await p.page.getByTestId('invite-open-submit').click();
  const confirm = p.page.getByTestId('invite-confirm');
  await expect(confirm.or(p.page.getByTestId('error-banner'))).toBeVisible();
  if (await confirm.isVisible()) await confirm.click();
}

/** Opens an invite link in `p`'s tab, as a person following it would, and clicks Connect. */
export async function openInviteLink(p: Person, link: string): Promise<void> {
  await p.page.goto(link);
  await p.page.getByTestId('invite-confirm').click();
}

/** Waits until `p` shows `other` as a contact whose chat is open and connected. */
export async function expectConnected(p: Person, other: string): Promise<void> {
  await expect(p.page.getByTestId('contact-item').filter({ hasText: other })).toHaveCount(1);
  await p.page.getByTestId('contact-item').filter({ hasText: other }).click();
  await expect(p.page.getByTestId('connection-status')).toContainText('connected', { timeout: 45_000 });
}

export async function send(p: Person, text: string): Promise<void> {
  await p.page.getByTestId('message-input').fill(text);
  await p.page.getByTestId('message-send').click();
}

export function message(p: Person, text: string) {
  return p.page.getByTestId('message-item').filter({ hasText: text });
}

export async function expectError(p: Person, code: string): Promise<void> {
  const banner = p.page.getByTestId('error-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toHaveAttribute('data-code', code);
}

/** Flips one character in the middle of the invite code, keeping it valid base64url. */
export function tamper(link: string): string {
  const i = link.indexOf('#invite=') + '#invite='.length + 40;
  const c = link[i];
  return link.slice(0, i) + (c === 'A' ? 'B' : 'A') + link.slice(i + 1);
}

/**
 * Tells the page it went to the background (or came to the front) the way a browser does:
 * headless Chromium keeps every tab visible, so `visibilityState` is overridden and
 * `visibilitychange` fired.
 */
export function setInFront(page: Page, front: boolean): Promise<void> {
  return page.evaluate((f) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (f ? 'visible' : 'hidden') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, front);
}

/** Alice and Bob, contacts through an invite, each with the other's chat open and connected. */
export async function pairedPeople(browser: Browser, people: Person[]): Promise<[Person, Person]> {
  const alice = await person(browser, 'Alice');
  const bob = await person(browser, 'Bob');
  people.push(alice, bob);
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  return [alice, bob];
}

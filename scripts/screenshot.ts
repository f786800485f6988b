/**
 * Takes docs/screenshot.png and docs/screenshot-phone.png: two people paired through an invite, a
 * short chat, seen from Alice's side on a desktop and from Bob's on a 360×740 phone. Run inside a loopback-only namespace, after a build:
 *   npx vite build && unshare -n sh -c 'ip link set lo up && node --import tsx scripts/screenshot.ts'
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';

const PORT = 8391;
const ORIGIN = `http://127.0.0.1:${PORT}`;
const root = fileURLToPath(new URL('..', import.meta.url));
const relay = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
  cwd: root,
  env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
  stdio: 'ignore',
});
process.on('exit', () => relay.kill('SIGTERM'));
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`${ORIGIN}/healthz`)).ok) break;
  } catch {
    /* not yet */
  }
  await new Promise((r) => setTimeout(r, 150));
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', ...CHROMIUM_ARGS],
});
const open = async (name: string, phone = false): Promise<Page> => {
  const ctx = await browser.newContext({
    baseURL: ORIGIN,
    permissions: ['camera', 'microphone'],
    viewport: phone ? { width: 360, height: 740 } : { width: 1100, height: 900 },
    deviceScaleFactor: phone ? 2 : 1,
    ...(phone ? { isMobile: true, hasTouch: true } : {}),
    colorScheme: 'light',
  });
  const page = await ctx.newPage();
  await page.goto('/');
  await page.getByTestId('display-name-input').fill(name);
  await page.getByTestId('display-name-save').click();
  return page;
};
const say = async (p: Page, text: string) => {
  await p.getByTestId('message-input').fill(text);
  await p.getByTestId('message-send').click();
  await p.getByTestId('message-item').filter({ hasText: text }).waitFor();
};
try {
  const alice = await open('Alice');
  const bob = await open('Bob', true);
  await alice.getByTestId('invite-create').click();
  await bob.goto(await alice.getByTestId('invite-link').inputValue());
  await bob.getByTestId('invite-confirm').click();
  await alice.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor();
  // On the phone the chat is a screen of its own: Bob opens it from his contact list.
  await bob.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
  await say(alice, 'Hi Bob! This goes straight from my browser to yours.');
  await bob.getByTestId('message-item').filter({ hasText: 'straight from my browser' }).waitFor();
  await say(bob, 'Hi Alice — and the relay only ever sees sealed blobs.');
  await alice.getByTestId('message-item').filter({ hasText: 'sealed blobs' }).waitFor();
  await say(alice, 'Lunch on Friday?\nThe usual place, 12:30.');
  await alice.locator('[data-testid="message-item"][data-delivered="true"]').filter({ hasText: 'Lunch' }).waitFor();
  await alice.getByTestId('invite-create').click();
  await alice.locator('img.qr').waitFor();
  await alice.evaluate(() => window.scrollTo(0, 0)); // the composer took focus after sending
  await alice.screenshot({ path: `${root}docs/screenshot.png` });
  await bob.getByTestId('message-item').filter({ hasText: 'usual place' }).waitFor();
  await say(bob, 'Yes! See you there.');
  await bob.locator('[data-testid="message-item"][data-delivered="true"]').filter({ hasText: 'See you' }).waitFor();
  await bob.screenshot({ path: `${root}docs/screenshot-phone.png` });
  console.log('wrote docs/screenshot.png and docs/screenshot-phone.png');
} finally {
  await browser.close();
}
process.exit(0);

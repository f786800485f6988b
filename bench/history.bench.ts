/**
 * `npm run bench history`: a long history must not make a chat slow to open (issue 15; docs/app.md
 * "Chat history": the history loads in pages).
 *
 * value    = median over 15 runs of: click a contact with 10,000 stored messages → its chat is
 *            painted with the newest message in view (the next animation frame after it is in
 *            the DOM), measured in the page.
 * baseline = the same for a contact with no messages, same page, runs interleaved.
 * ratio    = value / baseline; target: ratio under 2 (a long history costs at most about as much
 *            as opening a chat at all).
 *
 * The contacts and messages are written straight into the app's IndexedDB (no peers needed: the
 * measured path is store → state → render); the relay only serves the page.
 */
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { namedPage, reexecInNetns, startRelay } from './support/browser-bench';

const RUNS = 15;
const MESSAGES = 10_000;
const PORT = Number(process.env.BENCH_PORT ?? 8293);
const ORIGIN = `http://127.0.0.1:${PORT}`;

/** Two contacts, "Full" with `n` messages over the last 30 days and "Empty" with none. */
function seed(page: Page, n: number): Promise<void> {
  return page.evaluate(async (count) => {
    const db = await new Promise<IDBDatabase>((ok, ko) => {
      const r = indexedDB.open('parley');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ko(r.error);
    });
    const tx = db.transaction(['contacts', 'messages'], 'readwrite');
    const now = Date.now();
    for (const [i, name] of ['Full', 'Empty'].entries()) {
      const publicKey = crypto.getRandomValues(new Uint8Array(32));
      const key = [...publicKey].map((b) => b.toString(16).padStart(2, '0')).join('');
      const contactSecret = crypto.getRandomValues(new Uint8Array(32));
      tx.objectStore('contacts').put({ key, publicKey, name, contactSecret, addedAt: now - i, lastSeen: 0 });
      if (name !== 'Full') continue;
      for (let m = 0; m < count; m++) {
        const sentAt = now - 30 * 86_400_000 + Math.floor((m * 30 * 86_400_000) / count);
        const out = m % 3 === 0;
        tx.objectStore('messages').put({
          contact: key,
          id: `AAAAAAAAAAA-${m + 1}`,
          direction: out ? 'out' : 'in',
          text: `message ${m}: ${'lorem ipsum '.repeat(1 + (m % 7))}`,
          sentAt,
          ...(out ? { delivered: true, sentOnLink: sentAt } : { delivered: true, receivedAt: sentAt }),
        });
      }
    }
    await new Promise<void>((ok, ko) => {
      tx.oncomplete = () => ok();
      tx.onerror = () => ko(tx.error);
    });
    db.close();
  }, n);
}

/** Clicks the contact and resolves with ms until the frame after its chat shows `last` (or, for none, the empty list). */
function openChat(page: Page, name: string, last: string | null): Promise<number> {
  return page.evaluate(
    async ({ name, last }) => {
      const button = [...document.querySelectorAll<HTMLButtonElement>('[data-testid="contact-item"]')].find((b) =>
        b.textContent?.includes(name),
      )!;
      const shown = () => {
        const head = document.querySelector('.chat-head h2')?.textContent ?? '';
        if (!head.includes(name) || !document.querySelector('[data-testid="message-list"]')) return false;
        const items = document.querySelectorAll('[data-testid="message-item"]');
        return last === null ? items.length === 0 : (items[items.length - 1]?.textContent ?? '').includes(last);
      };
      const t0 = performance.now();
      button.click();
      while (!shown()) await new Promise((r) => requestAnimationFrame(r));
      await new Promise((r) => requestAnimationFrame(r)); // painted
      return performance.now() - t0;
    },
    { name, last },
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const lib = new URL('../scripts/lib.mjs', import.meta.url).href;
  const { ensureBuild } = (await import(lib)) as { ensureBuild: () => void };
  ensureBuild();
  const relay = await startRelay(PORT);
  process.on('exit', () => relay.kill('SIGTERM'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', ...CHROMIUM_ARGS],
  });
  try {
    const page = await namedPage(browser, ORIGIN, 'Me');
    await seed(page, MESSAGES);
    // tsx names the functions handed to evaluate through a `__name` helper the page lacks.
    await page.addInitScript('globalThis.__name = (f) => f');
    await page.reload();
    await page.getByTestId('contact-item').filter({ hasText: 'Full' }).waitFor();
    const newest = `message ${MESSAGES - 1}:`;
    await openChat(page, 'Empty', null); // warm-up
    await openChat(page, 'Full', newest);
    const value: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      baseline.push(await openChat(page, 'Empty', null));
      value.push(await openChat(page, 'Full', newest));
      console.log(
        `run ${i + 1}: ${MESSAGES} messages ${value[i]!.toFixed(0)} ms, empty chat ${baseline[i]!.toFixed(0)} ms`,
      );
    }
    const rendered = await page.getByTestId('message-item').count();
    console.log(`messages rendered at first paint: ${rendered} of ${MESSAGES}`);
    const v = Math.round(median(value));
    const b = Math.round(median(baseline));
    console.log(
      JSON.stringify({
        bench: 'history',
        value: v,
        unit: 'ms',
        baseline: b,
        ratio: Number((v / b).toFixed(2)),
        target: 2,
      }),
    );
  } finally {
    await browser.close();
    relay.kill('SIGTERM');
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * Files through the real UI (docs/files.md §8, docs/app.md "Files"): two people paired through
 * the real relay, files picked in one page arriving verified in the other's OPFS, compared by
 * SHA-256 computed from the received File in the receiving page against the sender's bytes.
 * `FILES_E2E_MB` sets the large file's size (default 300, the figure; 50 for a quicker run).
 */
import { test, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { expectConnected, type Person } from './support/app';
import {
  item,
  offerFiles,
  opfsTransferDirs,
  pair,
  progressOf,
  receivedHashes,
  sentBytes,
  sha256,
} from './support/files';

const LARGE_MB = Number(process.env.FILES_E2E_MB ?? 300);

test.describe('files', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('three files at once arrive verified, through a receiver reload halfway', async ({ browser }, info) => {
    test.setTimeout(300_000 + LARGE_MB * 2_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);

    const files = {
      'empty.txt': new Uint8Array(0),
      'small.txt': new TextEncoder().encode('hello from Alice\n'.repeat(100)),
      'large.bin': randomBytes(LARGE_MB * 1024 * 1024),
    };
    await offerFiles(alice, files, info);

    // Bob sees what is offered (names, sizes) before anything is sent, and accepts.
    const offer = item(bob, 'large.bin');
    await expect(offer).toContainText('empty.txt');
    await expect(offer).toContainText('small.txt');
    await expect(offer).toContainText('text/plain');
    await expect(offer).toContainText(
      `${LARGE_MB >= 10 ? Math.round(LARGE_MB * 1.048576) : (LARGE_MB * 1.048576).toFixed(1)} MB`,
    );
    await offer.getByTestId('transfer-accept').click();

    // Halfway, Bob reloads: the transfer resumes from what his page had verified and saved.
    await expect
      .poll(() => progressOf(bob, 'large.bin'), { timeout: 120_000, intervals: [50] })
      .toBeGreaterThanOrEqual(45);
    await bob.page.reload();
    await expect(item(bob, 'large.bin')).toHaveCount(1, { timeout: 30_000 });
    const afterReload = await progressOf(bob, 'large.bin');
    expect(afterReload).toBeGreaterThan(0); // restored, not started again
    await expectConnected(bob, 'Alice');

    await expect(item(bob, 'large.bin').getByTestId('transfer-status')).toContainText('complete', {
      timeout: 60_000 + LARGE_MB * 2_000,
    });
    await expect(item(alice, 'large.bin').getByTestId('transfer-status')).toContainText('complete');
    await expect(item(bob, 'large.bin').getByTestId('transfer-download')).toHaveCount(3);

    const got = await receivedHashes(bob, 'large.bin');
    expect(got).toEqual(Object.fromEntries(Object.entries(files).map(([n, b]) => [n, sha256(b)])));

    // The download links are ordinary browser downloads of the received files.
    for (const [i, name] of [
      [1, 'small.txt'],
      [2, 'large.bin'],
    ] as const) {
      const [download] = await Promise.all([
        bob.page.waitForEvent('download'),
        item(bob, 'large.bin').getByTestId('transfer-download').nth(i).click(),
      ]);
      expect(download.suggestedFilename()).toBe(name);
      expect(sha256(await readFile((await download.path())!))).toBe(sha256(files[name]));
    }

    // Dismissing removes the item and the received data from OPFS.
    await item(bob, 'large.bin').getByTestId('transfer-dismiss').click();
    await expect(item(bob, 'large.bin')).toHaveCount(0);
    expect(await opfsTransferDirs(bob)).toEqual([]);
  });

  test('a declined offer sends nothing; a cancel on either side stops both', async ({ browser }, info) => {
    test.setTimeout(300_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);
    const size = 64 * 1024 * 1024;
    const write = async (name: string) => {
      const path = info.outputPath(name);
      await writeFile(path, randomBytes(size));
      return path;
    };

    // Declined: Alice's data channels carry nothing like the file.
    const declinedPath = await write('declined.bin');
    await alice.page.getByTestId('file-input').setInputFiles(declinedPath);
    await expect(item(bob, 'declined.bin').getByTestId('transfer-decline')).toBeVisible({ timeout: 60_000 });
    const before = await sentBytes(alice.page);
    await item(bob, 'declined.bin').getByTestId('transfer-decline').click();
    await expect(item(alice, 'declined.bin').getByTestId('transfer-status')).toContainText('declined');
    await expect(item(bob, 'declined.bin').getByTestId('transfer-status')).toContainText('declined');
    await alice.page.waitForTimeout(1_000);
    expect((await sentBytes(alice.page)) - before).toBeLessThan(64 * 1024);
    await expect(item(bob, 'declined.bin').getByTestId('transfer-download')).toHaveCount(0);

    // Cancelled by the sender, then by the receiver, each mid-transfer.
    for (const [who, name] of [
      ['sender', 'by-alice.bin'],
      ['receiver', 'by-bob.bin'],
    ] as const) {
      await alice.page.getByTestId('file-input').setInputFiles(await write(name));
      await item(bob, name).getByTestId('transfer-accept').click({ timeout: 60_000 });
      await expect.poll(() => progressOf(bob, name), { timeout: 60_000, intervals: [50] }).toBeGreaterThanOrEqual(2);
      await item(who === 'sender' ? alice : bob, name)
        .getByTestId('transfer-cancel')
        .click();
      for (const p of [alice, bob])
        await expect(item(p, name).getByTestId('transfer-status')).toContainText('cancelled');
      const [sent, got] = [await sentBytes(alice.page), await progressOf(bob, name)];
      expect(got).toBeLessThan(100);
      await alice.page.waitForTimeout(1_500);
      expect((await sentBytes(alice.page)) - sent).toBeLessThan(64 * 1024); // nothing more goes out
      expect(await progressOf(bob, name)).toBe(got);
      await expect(item(bob, name).getByTestId('transfer-download')).toHaveCount(0);
    }
  });

  test('a file dropped on the chat arrives, an HTML page only as a download; a sender reload halfway resumes', async ({
    browser,
  }, info) => {
    test.setTimeout(300_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);

    // Drag and drop onto the chat: a text file and an HTML page (a peer's document, issue 11 item 5).
    const text = 'dropped on the chat\n'.repeat(50);
    const html = '<!doctype html><title>peer page</title><p id="peer">a page Alice chose</p>';
    const dt = await alice.page.evaluateHandle(
      ({ t, h }) => {
        const d = new DataTransfer();
        d.items.add(new File([t], 'dropped.txt', { type: 'text/plain' }));
        d.items.add(new File([h], 'page.html', { type: 'text/html' }));
        return d;
      },
      { t: text, h: html },
    );
    await alice.page.locator('section.chat').dispatchEvent('drop', { dataTransfer: dt });
    await item(bob, 'dropped.txt').getByTestId('transfer-accept').click();
    await expect(item(bob, 'dropped.txt').getByTestId('transfer-status')).toContainText('complete');
    expect(await receivedHashes(bob, 'dropped.txt')).toEqual({
      'dropped.txt': sha256(new TextEncoder().encode(text)),
      'page.html': sha256(new TextEncoder().encode(html)),
    });
    // The offered type is shown as text, but the download is bytes: the page's link, opened in a
    // tab of Bob's browser, starts a download instead of showing Alice's document in Parley's origin.
    await expect(item(bob, 'dropped.txt')).toContainText('text/html');
    const href = await item(bob, 'dropped.txt')
      .locator('[data-testid="transfer-download"][data-file="1"]')
      .getAttribute('href');
    expect(href).toMatch(/^blob:/);
    const tab = await bob.context.newPage();
    const downloaded = tab.waitForEvent('download');
    const opened = await tab.goto(href!).then(
      async (r) => `rendered as ${r?.headers()['content-type']}: ${await tab.locator('#peer').count()} peer element(s)`,
      (e: Error) => e.message,
    );
    expect(opened).toContain('Download is starting');
    expect(await (await downloaded).path()).toBeTruthy();
    await tab.close();

    // Alice reloads while sending: her page restores the transfer (and the file) from IndexedDB.
    const bytes = randomBytes(96 * 1024 * 1024);
    const path = info.outputPath('resent.bin');
    await writeFile(path, bytes);
    await alice.page.getByTestId('file-input').setInputFiles(path);
    await item(bob, 'resent.bin').getByTestId('transfer-accept').click({ timeout: 60_000 });
    await expect
      .poll(() => progressOf(bob, 'resent.bin'), { timeout: 120_000, intervals: [50] })
      .toBeGreaterThanOrEqual(30);
    await alice.page.reload();
    await expectConnected(alice, 'Bob');
    await expect(item(bob, 'resent.bin').getByTestId('transfer-status')).toContainText('complete', {
      timeout: 120_000,
    });
    await expect(item(alice, 'resent.bin').getByTestId('transfer-status')).toContainText('complete');
    expect(await receivedHashes(bob, 'resent.bin')).toEqual({ 'resent.bin': sha256(bytes) });
  });
});

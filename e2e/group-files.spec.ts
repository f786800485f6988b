/**
 * Files in a group end to end (issue 14 "Files in a group"; docs/groups.md §7): real Chromium pages,
 * the real relay. Alice offers a file to a group of three; Bob accepts and receives it through the
 * ordinary pairwise transfer, byte-identical (its download compared by SHA-256 with what Alice
 * picked); Carol declines, and no transfer goes to her.
 */
import { test, expect, type Browser } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { person, type Person } from './support/app';
import { sha256 } from './support/files';
import { openGroup, startGroup } from './support/groups';

const people: Person[] = [];
test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close();
});

async function enter(browser: Browser, name: string): Promise<Person> {
  const p = await person(browser, name);
  people.push(p);
  return p;
}

const offer = (p: Person) => p.page.getByTestId('group-file-item').filter({ hasText: 'notes.bin' });

test('Alice offers a file to a group of three: Bob accepts and receives it byte-identical, Carol declines and gets nothing', async ({
  browser,
}, info) => {
  test.setTimeout(300_000);
  const alice = await enter(browser, 'Alice');
  const bob = await enter(browser, 'Bob');
  const carol = await enter(browser, 'Carol');
  await startGroup(alice, [bob, carol], 'Papers');
  await openGroup(alice, 'Papers');

  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const path = info.outputPath('notes.bin');
  await writeFile(path, bytes);
  await alice.page.getByTestId('group-file-offer').setInputFiles(path);
  await expect(offer(alice)).toHaveAttribute('data-direction', 'out');
  for (const p of [bob, carol]) await expect(offer(p)).toBeVisible({ timeout: 45_000 });

  await offer(carol).getByTestId('group-file-decline').click();
  await expect(offer(carol)).toHaveAttribute('data-answer', 'declined');
  await offer(bob).getByTestId('group-file-accept').click();
  await expect(offer(bob)).toHaveAttribute('data-answer', 'received', { timeout: 90_000 });

  const [download] = await Promise.all([
    bob.page.waitForEvent('download'),
    offer(bob).getByTestId('group-file-download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('notes.bin');
  expect(sha256(await readFile((await download.path())!))).toBe(sha256(bytes));

  // Carol declined: nothing was offered to her pairwise, and her group row has no download.
  await expect(offer(carol).getByTestId('group-file-download')).toHaveCount(0);
  await carol.page.getByTestId('contact-item').filter({ hasText: 'Alice' }).click();
  await expect(carol.page.getByTestId('transfer-item')).toHaveCount(0);
  // Alice sent exactly one transfer: to Bob.
  await alice.page.getByTestId('contact-item').filter({ hasText: 'Bob' }).click();
  await expect(alice.page.getByTestId('transfer-item').filter({ hasText: 'notes.bin' })).toHaveCount(1);
  await alice.page.getByTestId('contact-item').filter({ hasText: 'Carol' }).click();
  await expect(alice.page.getByTestId('transfer-item')).toHaveCount(0);
});

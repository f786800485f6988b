/**
 * Partial accept through the real UI (docs/app.md "Files"): Bob unticks one of three offered
 * files; only the two he kept travel (Alice's data channels carry far less than the skipped
 * file), arrive with matching SHA-256 through a reload of Bob's page halfway, and both sides
 * show the third as skipped, with no download link and no data in Bob's OPFS.
 */
import { test, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { expectConnected, type Person } from './support/app';
import { item, offerFiles, pair, progressOf, receivedHashes, sentBytes, sha256, storedFiles } from './support/files';

const MiB = 1024 * 1024;

test.describe('files: partial accept', () => {
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
  });

  test('a 3-file offer with one unticked: only two arrive, verified, through a receiver reload; the third never leaves Alice', async ({
    browser,
  }, info) => {
    test.setTimeout(300_000);
    const [alice, bob] = await pair(browser);
    people.push(alice, bob);

    const files = {
      'keep.bin': randomBytes(40 * MiB),
      'skip.bin': randomBytes(48 * MiB),
      'note.txt': new TextEncoder().encode('keep me\n'.repeat(500)),
    };
    await offerFiles(alice, files, info);

    // Bob sees one checkbox per file, all ticked; none ticked disables Accept and says why.
    const offer = item(bob, 'keep.bin');
    const boxes = offer.getByTestId('transfer-file-choice');
    await expect(boxes).toHaveCount(3, { timeout: 60_000 });
    for (let i = 0; i < 3; i++) await expect(boxes.nth(i)).toBeChecked();
    for (let i = 0; i < 3; i++) await boxes.nth(i).uncheck();
    await expect(offer.getByTestId('transfer-accept')).toBeDisabled();
    await expect(offer.getByTestId('transfer-accept-reason')).toContainText('at least one file');
    await boxes.nth(0).check();
    await boxes.nth(2).check();
    await expect(offer.getByTestId('transfer-accept')).toBeEnabled();
    await expect(offer.getByTestId('transfer-accept')).toContainText('Accept 2 of 3');
    const before = await sentBytes(alice.page);
    await offer.getByTestId('transfer-accept').click();

    // Both sides mark skip.bin as skipped; progress counts only the accepted files.
    for (const p of [alice, bob]) {
      await expect(item(p, 'keep.bin').getByTestId('transfer-file-skipped')).toHaveCount(1);
      await expect(item(p, 'keep.bin').locator('[data-testid="transfer-file"][data-state="skipped"]')).toContainText(
        'skip.bin',
      );
    }

    // Bob reloads halfway: the choice is restored and the transfer resumes.
    await expect
      .poll(() => progressOf(bob, 'keep.bin'), { timeout: 120_000, intervals: [50] })
      .toBeGreaterThanOrEqual(30);
    await bob.page.reload();
    await expect(item(bob, 'keep.bin').getByTestId('transfer-file-skipped')).toHaveCount(1, { timeout: 30_000 });
    await expectConnected(bob, 'Alice');

    for (const p of [bob, alice])
      await expect(item(p, 'keep.bin').getByTestId('transfer-status')).toContainText('complete', { timeout: 120_000 });
    for (const p of [bob, alice]) {
      expect(await progressOf(p, 'keep.bin')).toBe(100);
      await expect(item(p, 'keep.bin').getByTestId('transfer-status')).toContainText('1 of 3 files skipped');
    }

    // Exactly the two kept files are downloadable, byte-identical; skip.bin has no link and no data.
    await expect(item(bob, 'keep.bin').getByTestId('transfer-download')).toHaveCount(2);
    expect(await receivedHashes(bob, 'keep.bin')).toEqual({
      'keep.bin': sha256(files['keep.bin']),
      'note.txt': sha256(files['note.txt']),
    });
    expect(await storedFiles(bob, 'keep.bin')).toEqual(['0', '2']);
    await expect(item(alice, 'keep.bin').getByTestId('transfer-download')).toHaveCount(0);

    // What Alice's data channels carried: the kept files (once, plus what the reload re-sent)
    // and framing — never the 48 MiB skipped file on top.
    const sent = (await sentBytes(alice.page)) - before;
    const kept = files['keep.bin'].length + files['note.txt'].length;
    expect(sent).toBeGreaterThan(kept);
    expect(sent).toBeLessThan(kept + 16 * MiB);
  });
});

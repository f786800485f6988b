/**
 * Finished files leave private storage (docs/files.md "Finished files", docs/app.md "Files"): the
 * sender's stored copy of an offered file goes once the transfer completes; the receiver's OPFS
 * data goes at the next start after every received file was saved, and the chat keeps the record.
 */
import { test, expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expectConnected, type Person } from './support/app';
import { item, offerFiles, opfsTransferDirs, pair, sha256 } from './support/files';

/** Transfer ids whose files the page still keeps in IndexedDB (the sender's copies, for resume). */
const storedBlobs = (p: Person) =>
  p.page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('parley-transfers');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const keys = open.result.transaction('blobs').objectStore('blobs').getAllKeys();
          keys.onsuccess = () => {
            open.result.close();
            resolve(keys.result.map(String));
          };
          keys.onerror = () => reject(keys.error);
        };
      }),
  );

test("a complete transfer leaves the sender's storage at once and the receiver's at the next start after both files were saved", async ({
  browser,
}, info) => {
  test.setTimeout(180_000);
  const [alice, bob] = await pair(browser);
  const files = {
    'notes.txt': new TextEncoder().encode('saved, then gone\n'),
    'photo.bin': new Uint8Array(randomBytes(3 << 20)),
  };
  await offerFiles(alice, files, info);
  await item(bob, 'photo.bin').getByTestId('transfer-accept').click();
  await expect(item(bob, 'photo.bin').getByTestId('transfer-status')).toContainText('complete', { timeout: 60_000 });
  await expect(item(alice, 'photo.bin').getByTestId('transfer-status')).toContainText('complete');
  const id = (await item(bob, 'photo.bin').getAttribute('data-id'))!;

  // The sender kept a copy of the files for a resume; the transfer is over, so it is gone.
  await expect.poll(() => storedBlobs(alice)).not.toContain(id);

  const save = async (i: number, name: keyof typeof files) => {
    const [download] = await Promise.all([
      bob.page.waitForEvent('download'),
      item(bob, 'photo.bin').getByTestId('transfer-download').nth(i).click(),
    ]);
    expect(sha256(await readFile((await download.path())!))).toBe(sha256(files[name]));
  };
  await save(0, 'notes.txt');
  await expect(item(bob, 'photo.bin').getByTestId('transfer-file-saved')).toHaveCount(1);
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  expect(await opfsTransferDirs(bob)).toEqual([id]); // one file is not saved yet: the data stays
  await expect(item(bob, 'photo.bin').getByTestId('transfer-download')).toHaveCount(2);

  await save(1, 'photo.bin');
  expect(await opfsTransferDirs(bob)).toEqual([id]); // not at once: the download may still be reading it
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  await expect.poll(() => opfsTransferDirs(bob)).toEqual([]);
  // The chat keeps the record, says where the files went, and offers no dead links.
  await expect(item(bob, 'photo.bin').getByTestId('transfer-status')).toContainText('complete');
  await expect(item(bob, 'photo.bin').getByTestId('transfer-file-purged')).toHaveCount(2);
  await expect(item(bob, 'photo.bin').getByTestId('transfer-download')).toHaveCount(0);
});

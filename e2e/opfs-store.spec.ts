/**
 * OPFS file store in real Chromium (docs/files.md §8): builds test/browser-opfs with Vite (the
 * worker is bundled as in the app), serves it on 127.0.0.1 and checks random-access writes,
 * reopen, truncate, read as a File, list/remove, and a 5 MiB TransferManager transfer whose
 * receiver writes into OPFS, byte-identical by SHA-256.
 */
import { expect, test } from '@playwright/test';
import { serveHarnessPage, type HarnessPage } from './support/harness-page';

let harness: HarnessPage, url: string;
test.beforeAll(async () => {
  harness = await serveHarnessPage('test/browser-opfs');
  url = harness.url;
});
test.afterAll(async () => {
  await harness?.close();
});

test('OpfsFileStore, a TransferManager writing into OPFS, IndexedDB persistence and a receiver reload', async ({
  page,
}) => {
  await page.goto(url);
  const done = await page
    .waitForFunction(() => (window as unknown as { opfsResults?: unknown }).opfsResults !== undefined, null, {
      timeout: 60_000,
    })
    .then(
      () => true,
      () => false,
    );
  if (!done)
    throw new Error(
      `the checks hung at: ${await page.evaluate(() => (window as unknown as { opfsStage: string }).opfsStage)}`,
    );
  const r = await page.evaluate(() => (window as unknown as { opfsResults: unknown }).opfsResults);
  expect((r as { error?: string }).error).toBeUndefined();
  expect(r).toEqual({
    store: {
      sizeAfterWrites: 131072 + 5000 + 32,
      sizeAfterTruncate: 131172,
      sameBytes: true,
      handedOver: true,
      partKept: true,
      readAfterRemove: 'NotFoundError',
      name: 'name.bin',
      type: 'application/x-test',
      listed: true,
      listedAfterRemove: false,
    },
    manager: { ok: true, size: 5 * 1024 * 1024 + 3, onDisk: true, goneAfterDismiss: true },
    idb: {
      blobOk: true,
      others: 0,
      ids: ['cd'.repeat(16)],
      after: 0,
      restoredStatus: 'active',
      restoredSome: true,
      same: true,
    },
  });
});

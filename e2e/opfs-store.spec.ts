/**
 * OPFS file store in real Chromium (docs/files.md §8): builds test/browser-opfs with Vite (the
 * worker is bundled as in the app), serves it on 127.0.0.1 and checks random-access writes,
 * reopen, truncate, read as a File, list/remove, and a 5 MiB TransferManager transfer whose
 * receiver writes into OPFS, byte-identical by SHA-256.
 */
import { expect, test } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'vite';

let server: Server, dir: string, url: string;
test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-opfs-'));
  await build({ root: 'test/browser-opfs', configFile: false, logLevel: 'warn', build: { outDir: dir, emptyOutDir: true, target: 'es2022' } });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      const body = await readFile(join(dir, path === '/' ? 'index.html' : path.replace(/\.\./g, '')));
      res.writeHead(200, { 'content-type': types[extname(path) || '.html'] ?? 'application/octet-stream' }).end(body);
    } catch { res.writeHead(404).end(); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});
test.afterAll(async () => { server?.close(); if (dir) await rm(dir, { recursive: true, force: true }); });

test('OpfsFileStore, a TransferManager writing into OPFS, IndexedDB persistence and a receiver reload', async ({ page }) => {
  await page.goto(url);
  const done = await page.waitForFunction(() => (window as unknown as { opfsResults?: unknown }).opfsResults !== undefined, null, { timeout: 60_000 })
    .then(() => true, () => false);
  if (!done) throw new Error(`the checks hung at: ${await page.evaluate(() => (window as unknown as { opfsStage: string }).opfsStage)}`);
  const r = await page.evaluate(() => (window as unknown as { opfsResults: unknown }).opfsResults);
  expect((r as { error?: string }).error).toBeUndefined();
  expect(r).toEqual({
    store: { sizeAfterWrites: 131072 + 5000, sizeAfterTruncate: 131172, sameBytes: true, readAfterRemove: 'NotFoundError', name: 'name.bin', type: 'application/x-test', listed: true, listedAfterRemove: false },
    manager: { ok: true, size: 5 * 1024 * 1024 + 3, onDisk: true, goneAfterDismiss: true },
    idb: { blobOk: true, others: 0, ids: ['cd'.repeat(16)], after: 0, restoredStatus: 'active', restoredSome: true, same: true },
  });
});

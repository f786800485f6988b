/**
 * Helpers of the file-transfer specs (docs/files.md §8, docs/app.md "Files"): two people paired
 * through the real relay, the bytes a page hands to its data channels, a transfer's item by file
 * name, and the SHA-256 of what a receiving page holds in OPFS.
 */
import { type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { person, makeInvite, expectConnected, type Person, openInviteLink } from './app';

/** Counts the bytes each page hands to its data channels (to see what a sender really sent). */
export async function countSentBytes(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __sent: number };
    w.__sent = 0;
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (
      this: RTCDataChannel,
      data: string | Blob | ArrayBuffer | ArrayBufferView,
    ) {
      w.__sent += typeof data === 'string' ? data.length : data instanceof Blob ? data.size : data.byteLength;
      (send as (this: RTCDataChannel, d: unknown) => void).call(this, data);
    } as typeof RTCDataChannel.prototype.send;
  });
}
export const sentBytes = (page: Page) => page.evaluate(() => (window as unknown as { __sent: number }).__sent);

/** Alice (whose sent bytes are counted) and Bob, paired and connected. */
export async function pair(browser: Browser): Promise<[Person, Person]> {
  const alice = await person(browser, 'Alice', { init: countSentBytes });
  const bob = await person(browser, 'Bob');
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  return [alice, bob];
}

/** Writes the files (name → bytes) into the test's output folder and picks them in `p`'s chat as one offer. */
export async function offerFiles(p: Person, files: Record<string, Uint8Array>, info: TestInfo): Promise<void> {
  const paths = [];
  for (const [name, bytes] of Object.entries(files)) {
    const path = info.outputPath(name);
    await writeFile(path, bytes);
    paths.push(path);
  }
  await p.page.getByTestId('file-input').setInputFiles(paths);
}

export const item = (p: Person, name: string) => p.page.getByTestId('transfer-item').filter({ hasText: name });
export const progressOf = async (p: Person, name: string) =>
  Number(await item(p, name).getByTestId('transfer-progress').getAttribute('aria-valuenow'));

/**
 * SHA-256 (hex) of every received file of a transfer, by file name, computed in the receiving
 * page from the OPFS file each download link serves (`data-file` = its index in the offer; the
 * app's CSP keeps `fetch` away from blob: URLs).
 */
export async function receivedHashes(p: Person, name: string): Promise<Record<string, string>> {
  const id = await item(p, name).getAttribute('data-id');
  const links = await item(p, name)
    .getByTestId('transfer-download')
    .evaluateAll((as) => (as as HTMLAnchorElement[]).map((a) => [a.download, a.dataset.file!] as const));
  return p.page.evaluate(
    async ({ id, links }) => {
      const dir = await (
        await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers')
      ).getDirectoryHandle(id!);
      const out: Record<string, string> = {};
      for (const [n, i] of links) {
        const bytes = await (await (await dir.getFileHandle(i)).getFile()).arrayBuffer();
        out[n] = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))]
          .map((b) => b.toString(16).padStart(2, '0'))
          .join('');
      }
      return out;
    },
    { id, links },
  );
}

/** The OPFS file names (file indices) a page holds for a transfer. */
export async function storedFiles(p: Person, name: string): Promise<string[]> {
  const id = await item(p, name).getAttribute('data-id');
  return p.page.evaluate(async (id) => {
    const dir = await (
      await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers')
    ).getDirectoryHandle(id!);
    const names: string[] = [];
    for await (const k of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(k);
    return names.sort();
  }, id);
}

/** Transfer directories (ids) a page keeps in OPFS. */
export const opfsTransferDirs = (p: Person) =>
  p.page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers', { create: true });
    const names: string[] = [];
    for await (const k of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(k);
    return names;
  });

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

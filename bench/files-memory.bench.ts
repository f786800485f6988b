/**
 * `npm run bench files-memory`: the receiving page's JS heap while a large file arrives through
 * the real UI (issue 4: "receiving a 2 GiB file keeps the receiving page's JS heap under 200 MB").
 *
 * Two Chromium processes, each with its own on-disk profile (an off-the-record context keeps OPFS
 * and IndexedDB in memory, which is not what a person's browser does and would not hold 2 GiB),
 * paired through a real relay on 127.0.0.1. The sender picks a sparse file of
 * `BENCH_MEMORY_MB` MiB (default 2048): the file costs no disk on the sending side and is read
 * lazily by the browser; the receiver writes the real bytes to OPFS in its profile directory.
 * The receiver's JS heap (`Performance.getMetrics` JSHeapUsedSize over CDP, the main thread; the
 * OPFS worker has its own heap) is sampled every 250 ms from its click on Accept to "complete".
 *
 * value    = most JS heap used in MB (10^6 bytes) during the transfer.
 * baseline = JS heap used just before Accept (after a forced GC).
 * ratio    = value / baseline; target: value under 200 MB.
 *
 * WebRTC stays on loopback: re-runs itself in a network namespace with only `lo` when it can.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { reexecInNetns, startRelay } from './support/browser-bench';

const MB = Number(process.env.BENCH_MEMORY_MB ?? 2048);
const BYTES = MB * 1024 * 1024;
const PORT = Number(process.env.BENCH_PORT ?? 8294);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const TARGET_MB = 200;

/** A Chromium with its own profile directory under `dir`, one page named `name`. */
async function person(dir: string, name: string): Promise<[BrowserContext, Page]> {
  const context = await chromium.launchPersistentContext(join(dir, `profile-${name}`), {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL: ORIGIN,
    permissions: ['camera', 'microphone'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto('/');
  await page.getByTestId('display-name-input').fill(name);
  await page.getByTestId('display-name-save').click();
  await page.getByTestId('invite-create').waitFor();
  return [context, page];
}

async function openChat(page: Page, other: string): Promise<void> {
  await page.getByTestId('contact-item').filter({ hasText: other }).click();
  await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
}

async function heapMB(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 1e6;
}

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const lib = new URL('../scripts/lib.mjs', import.meta.url).href;
  const { ensureBuild } = (await import(lib)) as { ensureBuild: () => void };
  ensureBuild();
  const dir = await mkdtemp(join(process.env.BENCH_TMPDIR ?? tmpdir(), 'parley-files-memory-'));
  const name = `memory-${MB}MiB.bin`;
  const source = join(dir, name);
  const fh = await open(source, 'w');
  await fh.truncate(BYTES); // sparse: zeros, read lazily, no disk on this side
  await fh.close();
  const relay = await startRelay(PORT);
  process.on('exit', () => relay.kill('SIGTERM'));
  const contexts: BrowserContext[] = [];
  try {
    const [ca, alice] = await person(dir, 'Alice');
    contexts.push(ca);
    const [cb, bob] = await person(dir, 'Bob');
    contexts.push(cb);
    await alice.getByTestId('invite-create').click();
    await bob.goto(await alice.getByTestId('invite-link').inputValue());
    await bob.getByTestId('invite-confirm').click(); // opening an invite asks first
    await openChat(bob, 'Alice');
    await openChat(alice, 'Bob');

    const cdp = await cb.newCDPSession(bob);
    await cdp.send('Performance.enable');
    const item = (p: Page) => p.getByTestId('transfer-item').filter({ hasText: name });
    const t0 = performance.now();
    await alice.getByTestId('file-input').setInputFiles(source);
    await item(bob).getByTestId('transfer-accept').waitFor({ timeout: 600_000 });
    const prep = performance.now() - t0;
    await cdp.send('HeapProfiler.collectGarbage');
    const baseline = await heapMB(cdp);
    let max = baseline,
      samples = 0,
      done = false;
    const sampler = (async () => {
      while (!done) {
        const h = await heapMB(cdp);
        samples++;
        if (h > max) max = h;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const t1 = performance.now();
    await item(bob).getByTestId('transfer-accept').click();
    let lastLog = t1;
    const status = item(bob).getByTestId('transfer-status').filter({ hasText: 'complete' });
    while (!(await status.isVisible())) {
      await new Promise((r) => setTimeout(r, 1000));
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        const pct = await item(bob)
          .getByTestId('transfer-progress')
          .getAttribute('aria-valuenow')
          .catch(() => '?');
        console.log(
          `  ${((lastLog - t1) / 1000).toFixed(0)} s: ${pct} % — heap now ${(await heapMB(cdp)).toFixed(1)} MB, max ${max.toFixed(1)} MB`,
        );
      }
      if (performance.now() - t1 > 3_600_000) throw new Error('transfer did not complete within an hour');
    }
    const ms = performance.now() - t1;
    done = true;
    await sampler;
    const after = await heapMB(cdp);
    console.log(
      `${MB} MiB: preparation ${(prep / 1000).toFixed(1)} s, accept→complete ${(ms / 1000).toFixed(1)} s (${(BYTES / 1e6 / (ms / 1000)).toFixed(1)} MB/s); receiver JS heap: ${baseline.toFixed(1)} MB before, max ${max.toFixed(1)} MB over ${samples} samples, ${after.toFixed(1)} MB at the end`,
    );
    await item(bob).getByTestId('transfer-dismiss').click(); // deletes the OPFS copy
    await item(alice).getByTestId('transfer-dismiss').click();
    console.log(
      JSON.stringify({
        bench: 'files-memory',
        value: Number(max.toFixed(1)),
        unit: 'MB',
        baseline: Number(baseline.toFixed(1)),
        ratio: Number((max / baseline).toFixed(2)),
        target: TARGET_MB,
      }),
    );
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    relay.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

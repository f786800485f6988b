/**
 * `npm run bench files`: Parley's file transfer through the real UI in Debian's Chromium, against
 * the raw data channel, both through a real relay process on 127.0.0.1.
 *
 * value    = MB/s (10^6 bytes) of one file of `BENCH_FILES_MB` MiB (default 64) from the
 *            receiver's click on Accept to its transfer status saying "complete", both timed in
 *            the receiver's page (not Playwright's waits around them): 255 KiB chunks
 *            through the TransferManager sealed once under the file key, the sender's SHA-256 as
 *            it reads, OPFS writes, the worker's SHA-256 of what it wrote, the digest check, acks
 *            (docs/files.md §10–11). Median of `BENCH_RUNS` (9) after a warm-up round. The time
 *            from choosing the file to the offer showing at the receiver ("preparation"; no
 *            longer a hashing pass since §11) is printed but not included.
 * baseline = MB/s of the same file read from disk in the sending page (the file input, 2 MiB
 *            blocks) and sent unencrypted and unverified over a plain simple-peer data channel
 *            between a page in Alice's browser and one in Bob's, 128 KiB messages, the sender waiting on
 *            `bufferedAmount` above 4 MiB, timed from the start of the sender's loop (before its
 *            first read) to the last byte received (the two pages' clocks, the same machine's):
 *            what every plain file-over-WebRTC app does (issue 16). Run once just before and once
 *            just after each of the value's runs; the round's baseline is the mean of the two times.
 * ratio    = median over the rounds of (value ÷ baseline of that round); target 0.9.
 *
 * Also printed, per round: the in-memory raw channel (one random 128 KiB buffer sent over and
 * over, the headline baseline until issue 16) and its ratio. It and the encrypted floor below run
 * once per round, after Parley's run and the second headline run: only the headline is bracketed.
 * Also printed, per round: the encrypted floor — the raw channel sending the file read from disk
 * with each 255 KiB chunk sealed by WebCrypto AES-256-GCM and opened at the other end, nothing else
 * (no header, hash, ack or disk write): the least any app that encrypts in the page pays, so
 * Parley ÷ floor is the share of Parley's own protocol (docs/files.md §13). And the stored floor:
 * the encrypted floor plus the two passes Parley's design adds — each chunk's SHA-256 on both sides
 * and the received file written to OPFS through the app's own worker (chunks pipelined, no
 * protocol, no state): Parley ÷ that is what its protocol and app cost beyond the work its design
 * requires (docs/files.md §16).
 * And the worker floor (bench/support/worker-floor.ts): the stored floor's work done in one worker
 * per page, the page only handing buffers between it and the channel — what moving Parley's
 * transfer off the UI page would give at best (docs/files.md §17).
 *
 * Also printed: the CPU time of all of the browser's processes per MB for Parley and both raw runs (from /proc;
 * the stable measure on a shared machine, docs/files.md §8), per process and thread with
 * BENCH_CPU_DETAIL=1, and the top self-time functions and source files of both pages (CDP Profiler,
 * named through the build's source maps: bench/support/profile-sources.ts) over the last round's
 * Parley run with BENCH_PROFILE=1. BENCH_TRACE=/path/prefix: Chrome traces of both browsers over the last
 * round's Parley run, its second raw-from-disk run and both floors (`prefix-sender.json`,
 * `prefix-raw-sender.json`, `prefix-floor-receiver.json`, `prefix-stored-sender.json`…): each task's
 * thread CPU time, which a sampling profile on a saturated machine cannot give; summed by kind with
 * `npx tsx bench/support/trace-cpu.ts prefix "" -stored -floor -raw` (docs/files.md §16).
 *
 * Each run's two pages are brought to the front of their browsers first (each browser holds an app
 * page and a raw page). WebRTC stays on loopback: re-runs itself in a network namespace with only
 * `lo` when it can.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import {
  appContext,
  nameThePage,
  RAW_CHANNEL,
  reexecInNetns,
  root,
  SIMPLE_PEER,
  startRelay,
} from './support/browser-bench';
import { browserCpu, startProfiles, threadMeter } from './support/browser-cpu';
import { startTrace } from './support/browser-trace';
import { WORKER_RECEIVE, WORKER_SEND } from './support/worker-floor';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const MB = Number(process.env.BENCH_FILES_MB ?? 64);
const BYTES = MB * 1024 * 1024;
const PORT = Number(process.env.BENCH_PORT ?? 8293);
const ORIGIN = `http://127.0.0.1:${PORT}`;
/**
 * The raw pages' origin: a second relay process (for the signaling socket), so that a raw page
 * shares no storage, service worker or Web Lock with the app in the same profile.
 */
const RAW_ORIGIN = `http://127.0.0.1:${PORT + 1}`;
/**
 * BENCH_INCOGNITO=1: the four pages as fresh contexts of one browser, as before 2026-12-05. Such
 * contexts are off the record, and there Chromium keeps OPFS in memory in the browser process:
 * every write of a sync access handle is an IPC and a copy there, ~1.5 CPU-s per 64 MiB
 * (docs/files.md §12). Default: Alice and Bob each in their own browser with an on-disk profile,
 * as people run it.
 */
const INCOGNITO = !!process.env.BENCH_INCOGNITO;
/** The app's OPFS worker script in dist/assets (the stored floor writes through it); set once built. */
let OPFS_WORKER = '';

async function openChat(page: Page, other: string): Promise<void> {
  await page.getByTestId('contact-item').filter({ hasText: other }).click();
  await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
}

/** Alice and Bob paired through an invite, each with the other's chat open. */
async function pair(contexts: [BrowserContext, BrowserContext]): Promise<[Page, Page]> {
  const alice = await nameThePage(await contexts[0].newPage(), 'Alice');
  const bob = await nameThePage(await contexts[1].newPage(), 'Bob');
  await alice.getByTestId('invite-create').click();
  await bob.goto(await alice.getByTestId('invite-link').inputValue());
  await bob.getByTestId('invite-confirm').click(); // opening an invite asks first
  await openChat(bob, 'Alice');
  await openChat(alice, 'Bob');
  return [alice, bob];
}

/**
 * Installed in the receiver's page before the click: `window.__acceptWatch` resolves with the
 * page's clock (ms) at the click on `name`'s Accept and at its status first showing "complete"
 * (rejects after `timeoutMs`). Timed in the page, so neither Playwright's actionability checks
 * before its click nor its polling back-off after (up to 500 ms between looks) counts as Parley's.
 */
const WATCH_ACCEPT_TO_COMPLETE = `([name, timeoutMs]) => {
  window.__acceptWatch = new Promise((resolve, reject) => {
    const item = () => [...document.querySelectorAll('[data-testid=transfer-item]')].find((el) => el.textContent.includes(name));
    let clicked = 0;
    const onClick = (ev) => {
      const button = ev.target.closest && ev.target.closest('[data-testid=transfer-accept]');
      if (button && item()?.contains(button)) clicked = performance.now();
    };
    const stop = () => {
      mo.disconnect();
      document.removeEventListener('click', onClick, true);
      clearTimeout(timer);
    };
    const mo = new MutationObserver(() => {
      const status = item()?.querySelector('[data-testid=transfer-status]');
      if (!clicked || !status || !/complete/i.test(status.textContent)) return;
      stop();
      resolve([clicked, performance.now()]);
    });
    const timer = setTimeout(() => {
      stop();
      reject(new Error(clicked ? name + ' never showed complete' : 'no click on the Accept of ' + name));
    }, timeoutMs);
    document.addEventListener('click', onClick, true);
    mo.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  window.__acceptWatch.catch(() => {});
}`;

/**
 * One app transfer of `path` (named `name`): returns [preparation ms, accept→complete ms, CPU s].
 * Both app pages are brought to the front first: each browser also holds a raw page, opened
 * later, and a page that is not the browser's front tab got its frames slowly — Playwright's
 * click, which waits for animation frames to see the button stable, then took up to 2 s
 * (docs/files.md §15).
 */
async function appTransfer(
  alice: Page,
  bob: Page,
  path: string,
  name: string,
  cpu: () => number,
  profile: boolean,
): Promise<[number, number, number]> {
  const item = (p: Page) => p.getByTestId('transfer-item').filter({ hasText: name });
  await alice.bringToFront();
  await bob.bringToFront();
  const t0 = performance.now();
  await alice.getByTestId('file-input').setInputFiles(path);
  await item(bob).getByTestId('transfer-accept').waitFor({ timeout: 120_000 });
  const stop =
    profile && process.env.BENCH_PROFILE
      ? await startProfiles([
          ['sender', alice],
          ['receiver', bob],
        ])
      : null;
  const trace = profile ? process.env.BENCH_TRACE : undefined;
  const stopTraces = trace
    ? await Promise.all([startTrace(alice, `${trace}-sender.json`), startTrace(bob, `${trace}-receiver.json`)])
    : [];
  await bob.evaluate(`(${WATCH_ACCEPT_TO_COMPLETE})(${JSON.stringify([name, 300_000])})`);
  const t1 = performance.now(),
    c1 = cpu();
  await item(bob).getByTestId('transfer-accept').click();
  const [clicked, complete] = (await bob.evaluate('window.__acceptWatch')) as [number, number];
  const c2 = cpu();
  await stop?.();
  for (const s of stopTraces) await s();
  await item(bob).getByTestId('transfer-status').filter({ hasText: 'complete' }).waitFor({ timeout: 10_000 });
  await item(bob).getByTestId('transfer-dismiss').click();
  await item(alice).getByTestId('transfer-dismiss').click();
  return [t1 - t0, complete - clicked, c2 - c1];
}

/**
 * Receiver: resolves with the wall clock (ms) once `total` bytes have arrived (its listener then
 * goes: rounds must not pile them up). The raw runs are timed from the sender page's clock as its
 * send function starts (before its first read) to this one: both pages' `Date.now()` read the same
 * machine clock.
 */
const RAW_RECEIVE = `(total) => new Promise((resolve) => {
  let n = 0;
  const on = (d) => { n += d.byteLength; if (n >= total) { window.__peer.removeListener('data', on); window.__receiving = false; resolve(Date.now()); } };
  window.__peer.on('data', on);
  window.__receiving = true;
})`;

/** Sender: `total` bytes in 128 KiB messages, waiting while more than 4 MiB is buffered; returns the clock at its start. */
const RAW_SEND = `async (total) => {
  const start = Date.now();
  const ch = window.__peer._channel;
  const chunk = new Uint8Array(131072);
  crypto.getRandomValues(chunk.subarray(0, 65536)); crypto.getRandomValues(chunk.subarray(65536));
  ch.bufferedAmountLowThreshold = 1 << 20;
  for (let sent = 0; sent < total;) {
    if (ch.bufferedAmount > 4 << 20) await new Promise((r) => ch.addEventListener('bufferedamountlow', r, { once: true }));
    const m = Math.min(chunk.length, total - sent);
    ch.send(m === chunk.length ? chunk : chunk.subarray(0, m));
    sent += m;
  }
  return start;
}`;

/**
 * Sender, second baseline: the same file read from disk (the page's file input, 2 MiB blocks like
 * Parley's reader) and sent raw in 128 KiB messages — a plain, unencrypted, unverified file send
 * such as FilePizza's. Printed beside the headline, which keeps the stricter in-memory baseline.
 */
const RAW_SEND_FILE = `async () => {
  const start = Date.now();
  const ch = window.__peer._channel;
  const file = document.getElementById('raw-file').files[0];
  ch.bufferedAmountLowThreshold = 1 << 20;
  for (let at = 0; at < file.size; at += 2 << 20) {
    const block = new Uint8Array(await file.slice(at, Math.min(file.size, at + (2 << 20))).arrayBuffer());
    for (let i = 0; i < block.length; i += 131072) {
      if (ch.bufferedAmount > 4 << 20) await new Promise((r) => ch.addEventListener('bufferedamountlow', r, { once: true }));
      ch.send(block.subarray(i, Math.min(block.length, i + 131072)));
    }
  }
  return start;
}`;

/**
 * Sender, the encrypted floor: the same file read from disk, each 255 KiB chunk (Parley's chunk
 * size) sealed with WebCrypto AES-256-GCM under a key both pages were given (no key exchange, no
 * header, no hash, no acks, no disk on the other side) and sent as it is sealed, in order. What
 * any app that encrypts in the page pays at least: the part of Parley's cost that no protocol
 * change can remove while the cipher is WebCrypto's (docs/files.md §13).
 */
const RAW_SEND_FILE_SEALED = `async (keyBytes, hash) => {
  const start = Date.now();
  const ch = window.__peer._channel;
  const file = document.getElementById('raw-file').files[0];
  const key = await crypto.subtle.importKey('raw', new Uint8Array(keyBytes), 'AES-GCM', false, ['encrypt']);
  ch.bufferedAmountLowThreshold = 1 << 20;
  let seq = 0, tail = Promise.resolve(), inFlight = 0;
  for (let at = 0; at < file.size; at += 2 << 20) {
    const block = new Uint8Array(await file.slice(at, Math.min(file.size, at + (2 << 20))).arrayBuffer());
    for (let i = 0; i < block.length; i += 261120) {
      while (ch.bufferedAmount > 4 << 20 || inFlight >= 8) {
        if (inFlight >= 8) await tail;
        else await new Promise((r) => ch.addEventListener('bufferedamountlow', r, { once: true }));
      }
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, seq++);
      const plain = block.subarray(i, Math.min(block.length, i + 261120));
      const hashing = hash ? crypto.subtle.digest('SHA-256', plain) : null;
      const sealing = crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
      inFlight++;
      tail = tail.then(() => sealing).then(async (ct) => { ch.send(ct); await hashing; inFlight--; });
    }
  }
  await tail;
  return start;
}`;

/**
 * Receiver of the encrypted floor: opens each message in order; resolves once `total` plaintext
 * bytes verified. With `worker` (the app's OPFS worker script) it also stores each opened chunk as
 * Parley does — the buffer moved to that worker, written at its offset through a sync access
 * handle, with the chunk's SHA-256 taken there when `hash` — and resolves once the last write and a
 * flush are done; the file is closed and removed afterwards. The worker lives as long as the page.
 */
const RAW_RECEIVE_SEALED = `async (total, keyBytes, worker, hash) => {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(keyBytes), 'AES-GCM', false, ['decrypt']);
  const dir = 'bench-floor-' + Math.random().toString(16).slice(2);
  let w = null, id = 0;
  const waiting = new Map();
  const call = (m, transfer = []) => new Promise((res, rej) => {
    const n = ++id;
    waiting.set(n, [res, rej]);
    w.postMessage({ id: n, dir, file: '0', ...m }, transfer);
  });
  if (worker) {
    // One worker per page for all runs, started with the page (START_OPFS_WORKER): a thread that
    // ends within a run drops out of the per-thread CPU.
    w = window.__opfsWorker;
    if (!w) throw new Error('the stored floor needs the OPFS worker START_OPFS_WORKER starts');
    w.onmessage = (e) => { const [res, rej] = waiting.get(e.data.id); waiting.delete(e.data.id); e.data.ok ? res(e.data.digest) : rej(new Error(e.data.error)); };
    w.onerror = (e) => { for (const [, rej] of waiting.values()) rej(new Error('OPFS worker: ' + e.message)); waiting.clear(); };
    await call({ op: 'open' });
  }
  const cleanUp = async () => {
    await call({ op: 'close' });
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers');
    await root.removeEntry(dir, { recursive: true });
  };
  return new Promise((resolve, reject) => {
    let n = 0, seq = 0, tail = Promise.resolve();
    const on = (d) => {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setUint32(8, seq++);
      const opening = crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, d);
      tail = tail.then(() => opening).then(async (pt) => {
        const at = n;
        n += pt.byteLength;
        const last = n >= total;
        if (last) { window.__peer.removeListener('data', on); window.__receiving = false; }
        const written = w ? call({ op: 'write', offset: at, bytes: new Uint8Array(pt), digest: hash }, [pt]) : null;
        if (!last) return;
        if (w) { await written; await call({ op: 'flush' }); }
        resolve(Date.now());
        if (w) await cleanUp(); // after the clock: Parley's closing and deleting are not timed either
      }).catch(reject);
    };
    window.__peer.on('data', on);
    window.__receiving = true;
  });
}`;

/**
 * Starts the app's OPFS worker in a raw page for the stored floor, before any timed run, and
 * checks that it answers (opens and removes a probe file): 'ok', or what went wrong. Started
 * inside the first stored-floor run as before 2026-12-06, the worker sometimes never answered
 * in run 0 (1 in 3–6 bench runs; not reproduced in a fresh browser alone), and the bench died on
 * the receiver's 30 s wait. A worker that does not answer within 10 s is ended.
 */
const START_OPFS_WORKER = `async (url) => {
  await navigator.storage.getDirectory(); // the page opens the origin's storage first, as the app's page does
  const w = new Worker(url, { type: 'module' });
  const dir = 'bench-probe-' + Math.random().toString(16).slice(2);
  let id = 0;
  const call = (m) => new Promise((res, rej) => {
    const n = ++id;
    w.onmessage = (e) => (e.data.id === n && e.data.ok ? res() : rej(new Error(e.data.error)));
    w.onerror = (e) => rej(new Error('worker error: ' + e.message));
    w.postMessage({ id: n, dir, file: '0', ...m });
  });
  let timer;
  const probe = (async () => {
    await call({ op: 'open' });
    await call({ op: 'close' });
    await (await (await navigator.storage.getDirectory()).getDirectoryHandle('parley-transfers')).removeEntry(dir, { recursive: true });
  })();
  const outcome = await Promise.race([
    probe.then(() => 'ok', (e) => String(e)),
    new Promise((r) => (timer = setTimeout(() => r('no answer in 10 s'), 10000))),
  ]);
  clearTimeout(timer);
  if (outcome === 'ok') window.__opfsWorker = w;
  else w.terminate();
  return outcome;
}`;

/** {@link START_OPFS_WORKER} in `page`, up to three times. */
async function startOpfsWorker(page: Page): Promise<void> {
  const url = `${RAW_ORIGIN}/assets/${OPFS_WORKER}`;
  for (let i = 1; ; i++) {
    const outcome = (await page.evaluate(`(${START_OPFS_WORKER})(${JSON.stringify(url)})`)) as string;
    if (outcome === 'ok') return;
    console.log(`stored floor: the OPFS worker did not start (try ${i}): ${outcome}`);
    if (i === 3) throw new Error(`the OPFS worker for the stored floor did not start: ${outcome}`);
  }
}

/** Two pages with a raw channel between them (made once, like the app pair), one in each context. */
async function rawPair(contexts: [BrowserContext, BrowserContext]): Promise<[Page, Page]> {
  const room = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const pages: Page[] = [];
  for (const c of contexts) {
    const p = await c.newPage();
    // A page of its own origin that runs no app; simple-peer goes in through DevTools (the
    // relay's CSP forbids inline scripts, and CSP does not bind DevTools' evaluation).
    await p.goto(`${RAW_ORIGIN}/healthz`);
    await p.evaluate(SIMPLE_PEER);
    await p.evaluate(`document.body.insertAdjacentHTML('beforeend', '<input type="file" id="raw-file">')`);
    pages.push(p);
  }
  for (const p of pages) p.on('console', (m) => m.type() === 'error' && console.log(`raw page: ${m.text()}`));
  const answered = pages[1]!.evaluate(`(${RAW_CHANNEL})(${JSON.stringify({ room, initiator: false })})`);
  answered.catch((e: unknown) => console.log(`raw pair: the answering page failed: ${String(e)}`));
  await pages[1]!.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true);
  await pages[0]!.evaluate(`(${RAW_CHANNEL})(${JSON.stringify({ room, initiator: true })})`);
  await answered;
  await startOpfsWorker(pages[1]!);
  return [pages[0]!, pages[1]!];
}

/** The raw pages to the front, as the app's were for its run (see {@link appTransfer}). */
async function front(sender: Page, receiver: Page): Promise<void> {
  await sender.bringToFront();
  await receiver.bringToFront();
}

/** Runs `send` in the sender page against `receive` in the receiver's: [ms from the send's start to the last byte, CPU s]. */
async function timedRaw(
  sender: Page,
  receiver: Page,
  send: string,
  receive: string,
  cpu: () => number,
): Promise<[number, number]> {
  const got = receiver.evaluate(receive) as Promise<number>;
  got.catch(() => undefined); // awaited below; a failure before then is not an unhandled rejection
  // The receiver's own failure (its setup threw) ends the wait at once, with its message.
  await Promise.race([
    receiver.waitForFunction(() => (window as unknown as { __receiving?: boolean }).__receiving === true),
    got.then(() => {
      throw new Error('the receiving page finished before it started to receive');
    }),
  ]);
  const c0 = cpu();
  const started = (await sender.evaluate(send)) as number;
  const ended = await got;
  return [ended - started, cpu() - c0];
}

async function rawTransfer(sender: Page, receiver: Page, cpu: () => number): Promise<[number, number]> {
  await front(sender, receiver);
  return timedRaw(sender, receiver, `(${RAW_SEND})(${BYTES})`, `(${RAW_RECEIVE})(${BYTES})`, cpu);
}

/**
 * The file at `path` from the sender page's file input to the receiver page: `plain`; `sealed`,
 * each chunk sealed under a key both pages are given (the encrypted floor); or `stored`, sealed,
 * each chunk's SHA-256 taken on both sides and the file written to OPFS by the app's own worker
 * (the floor of what Parley's design must do: docs/files.md §16).
 */
async function fileTransfer(
  sender: Page,
  receiver: Page,
  path: string,
  cpu: () => number,
  mode: 'plain' | 'sealed' | 'stored' | 'worker',
  trace?: string,
): Promise<[number, number]> {
  const key = JSON.stringify([...randomBytes(32)]);
  const worker = JSON.stringify(`${RAW_ORIGIN}/assets/${OPFS_WORKER}`);
  const [receive, send] =
    mode === 'plain'
      ? [`(${RAW_RECEIVE})(${BYTES})`, `(${RAW_SEND_FILE})()`]
      : mode === 'sealed'
        ? [`(${RAW_RECEIVE_SEALED})(${BYTES}, ${key}, null, false)`, `(${RAW_SEND_FILE_SEALED})(${key}, false)`]
        : mode === 'stored'
          ? [`(${RAW_RECEIVE_SEALED})(${BYTES}, ${key}, ${worker}, true)`, `(${RAW_SEND_FILE_SEALED})(${key}, true)`]
          : [`(${WORKER_RECEIVE})(${BYTES}, ${key})`, `(${WORKER_SEND})(${key})`];
  await front(sender, receiver);
  await sender.locator('#raw-file').setInputFiles(path);
  const stops = trace
    ? await Promise.all([startTrace(sender, `${trace}-sender.json`), startTrace(receiver, `${trace}-receiver.json`)])
    : [];
  const r = await timedRaw(sender, receiver, send, receive, cpu);
  for (const s of stops) await s();
  return r;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mbps = (ms: number) => BYTES / 1e6 / (ms / 1000);

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const lib = new URL('../scripts/lib.mjs', import.meta.url).href;
  const { ensureBuild } = (await import(lib)) as { ensureBuild: () => void };
  ensureBuild();
  OPFS_WORKER = readdirSync(join(root, 'dist/assets')).find((n) => /^opfs-worker-.*\.js$/.test(n)) ?? '';
  if (!OPFS_WORKER) throw new Error('dist/assets has no opfs-worker-*.js: the build changed');
  const dir = await mkdtemp(join(tmpdir(), 'parley-files-bench-'));
  const source = join(dir, 'source.bin');
  await writeFile(source, randomBytes(BYTES));
  const relay = await startRelay(PORT);
  const rawRelay = await startRelay(PORT + 1);
  process.on('exit', () => {
    relay.kill('SIGTERM');
    rawRelay.kill('SIGTERM');
  });
  const launch = {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', ...CHROMIUM_ARGS],
  };
  const browsers: Browser[] = [];
  const contexts: BrowserContext[] = [];
  if (INCOGNITO) {
    const browser = await chromium.launch(launch);
    browsers.push(browser);
    for (let i = 0; i < 2; i++) contexts.push(await browser.newContext(appContext(ORIGIN)));
  } else
    for (let i = 0; i < 2; i++)
      contexts.push(
        await chromium.launchPersistentContext(await mkdtemp(join(dir, 'profile-')), {
          ...launch,
          ...appContext(ORIGIN),
        }),
      );
  try {
    const [alice, bob] = await pair([contexts[0]!, contexts[1]!]);
    const rawContexts: [BrowserContext, BrowserContext] = INCOGNITO
      ? [await browsers[0]!.newContext(appContext(RAW_ORIGIN)), await browsers[0]!.newContext(appContext(RAW_ORIGIN))]
      : [contexts[0]!, contexts[1]!];
    const [rawA, rawB] = await rawPair(rawContexts);
    const value: number[] = [],
      baseline: number[] = [],
      ratios: number[] = [],
      cpuApp: number[] = [],
      cpuRaw: number[] = [];
    const fileBaseline: number[] = [],
      fileRatios: number[] = [],
      cpuRawFile: number[] = [];
    const sealedBaseline: number[] = [],
      sealedRatios: number[] = [],
      floorRatios: number[] = [],
      cpuSealed: number[] = [];
    const storedRatios: number[] = [],
      parleyStored: number[] = [],
      cpuStored: number[] = [];
    const workerRatios: number[] = [],
      parleyWorker: number[] = [],
      cpuWorker: number[] = [];
    const threads = threadMeter();
    for (let i = 0; i <= RUNS; i++) {
      // Run 0 warms up. Interleaved, so machine noise hits both alike; the headline's raw run
      // goes both before and after Parley's, so that a machine speeding up or slowing down
      // within a round (seen: 6–16 MB/s for the same raw run) does not favour either.
      const path = join(dir, `bench-${i}.bin`);
      await copyFile(source, path);
      // Per thread too with BENCH_CPU_DETAIL (warm-up excluded): the means say where each kind of run spends it.
      const cpu = (kind: string) => (i && process.env.BENCH_CPU_DETAIL ? threads.meter(kind) : browserCpu);
      const traced = i === RUNS ? process.env.BENCH_TRACE : undefined;
      // One raw-page run of `mode`, its CPU counted under `kind`, traced in the last round as `-name`.
      const rawRun = (kind: string, mode: Parameters<typeof fileTransfer>[4], name?: string) =>
        fileTransfer(rawA, rawB, path, cpu(kind), mode, name && traced && `${traced}-${name}`);
      const [rawBefore, rawBeforeCpu] = await rawRun('raw from disk', 'plain');
      const [prep, ms, appCpu] = await appTransfer(
        alice,
        bob,
        path,
        `bench-${i}.bin`,
        cpu('Parley'),
        i === RUNS && !!(process.env.BENCH_PROFILE || process.env.BENCH_TRACE),
      );
      const [rawAfter, rawAfterCpu] = await rawRun('raw from disk', 'plain', 'raw');
      const [raw, rawCpu] = await rawTransfer(rawA, rawB, cpu('raw (memory)'));
      const [sealed, sealedCpu] = await rawRun('floor', 'sealed', 'floor');
      const [stored, storedCpu] = await rawRun('stored floor', 'stored', 'stored');
      const [inWorker, workerCpu] = await rawRun('worker floor', 'worker', 'worker');
      const rawFile = (rawBefore + rawAfter) / 2,
        rawFileCpu = (rawBeforeCpu + rawAfterCpu) / 2;
      await rm(path);
      if (i) {
        fileBaseline.push(mbps(rawFile));
        fileRatios.push(rawFile / ms);
        cpuRawFile.push(rawFileCpu);
        sealedBaseline.push(mbps(sealed));
        sealedRatios.push(sealed / ms);
        floorRatios.push(rawFile / sealed);
        cpuSealed.push(sealedCpu);
        storedRatios.push(rawFile / stored);
        parleyStored.push(stored / ms);
        cpuStored.push(storedCpu);
        workerRatios.push(rawFile / inWorker);
        parleyWorker.push(inWorker / ms);
        cpuWorker.push(workerCpu);
      }
      console.log(
        `run ${i}${i ? '' : ' (warm-up)'}: ${MB} MiB — Parley ${mbps(ms).toFixed(1)} MB/s (${ms.toFixed(0)} ms; preparation ${prep.toFixed(0)} ms), raw data channel ${mbps(raw).toFixed(1)} MB/s (${raw.toFixed(0)} ms; the file read from disk: ${mbps(rawFile).toFixed(1)} MB/s, ${mbps(rawBefore).toFixed(1)} before Parley and ${mbps(rawAfter).toFixed(1)} after); browser CPU per MB ${((1000 * appCpu) / (BYTES / 1e6)).toFixed(1)} vs ${((1000 * rawCpu) / (BYTES / 1e6)).toFixed(1)} (memory) / ${((1000 * rawFileCpu) / (BYTES / 1e6)).toFixed(1)} ms (from disk); encrypted floor ${mbps(sealed).toFixed(1)} MB/s, ${((1000 * sealedCpu) / (BYTES / 1e6)).toFixed(1)} ms CPU per MB; stored floor ${mbps(stored).toFixed(1)} MB/s, ${((1000 * storedCpu) / (BYTES / 1e6)).toFixed(1)} ms CPU per MB; worker floor ${mbps(inWorker).toFixed(1)} MB/s, ${((1000 * workerCpu) / (BYTES / 1e6)).toFixed(1)} ms CPU per MB`,
      );
      if (i) {
        value.push(mbps(ms));
        baseline.push(mbps(raw));
        ratios.push(raw / ms);
        cpuApp.push(appCpu);
        cpuRaw.push(rawCpu);
      }
    }
    const v = median(value),
      b = median(baseline),
      perMB = (s: number) => ((1000 * s) / (BYTES / 1e6)).toFixed(1);
    // Load from other jobs hits both halves of a round alike, so the ratio is taken per round; its median is reported.
    console.log(
      `in-memory raw channel: ${b.toFixed(1)} MB/s; Parley ÷ that, per round ${ratios.map((r) => r.toFixed(2)).join(' ')}, median ${median(ratios).toFixed(2)}`,
    );
    console.log(
      `median browser CPU per MB: Parley ${perMB(median(cpuApp))} ms, raw from disk ${perMB(median(cpuRawFile))} ms (Parley ÷ raw ${(median(cpuApp) / median(cpuRawFile)).toFixed(2)}, target ≤ 1.2), raw from memory ${perMB(median(cpuRaw))} ms`,
    );
    console.log(
      `headline: raw data channel sending the file read from disk (no encryption, no verification): ${median(fileBaseline).toFixed(1)} MB/s; Parley ÷ that, per round ${fileRatios.map((r) => r.toFixed(2)).join(' ')}, median ${median(fileRatios).toFixed(2)}`,
    );
    console.log(
      `encrypted floor (the raw channel, the file from disk, WebCrypto AES-GCM per 255 KiB chunk, nothing else): ${median(sealedBaseline).toFixed(1)} MB/s = ${median(floorRatios).toFixed(2)} of raw from disk (per round ${floorRatios.map((r) => r.toFixed(2)).join(' ')}); CPU per MB ${perMB(median(cpuSealed))} ms = ${(median(cpuSealed) / median(cpuRawFile)).toFixed(2)} of raw from disk; Parley ÷ the floor, per round ${sealedRatios.map((r) => r.toFixed(2)).join(' ')}, median ${median(sealedRatios).toFixed(2)}`,
    );
    console.log(
      `stored floor (the encrypted floor + each chunk's SHA-256 on both sides + the file written to OPFS by the app's worker): ${median(storedRatios).toFixed(2)} of raw from disk (per round ${storedRatios.map((r) => r.toFixed(2)).join(' ')}); CPU per MB ${perMB(median(cpuStored))} ms = ${(median(cpuStored) / median(cpuRawFile)).toFixed(2)} of raw from disk; Parley ÷ the stored floor, per round ${parleyStored.map((r) => r.toFixed(2)).join(' ')}, median ${median(parleyStored).toFixed(2)}`,
    );
    console.log(
      `worker floor (the stored floor's work in one worker per page, the page only handing buffers to and from the channel: docs/files.md §17): ${median(workerRatios).toFixed(2)} of raw from disk (per round ${workerRatios.map((r) => r.toFixed(2)).join(' ')}); CPU per MB ${perMB(median(cpuWorker))} ms = ${(median(cpuWorker) / median(cpuRawFile)).toFixed(2)} of raw from disk; Parley ÷ the worker floor, per round ${parleyWorker.map((r) => r.toFixed(2)).join(' ')}, median ${median(parleyWorker).toFixed(2)}`,
    );
    if (process.env.BENCH_CPU_DETAIL) console.log(`browser CPU by process type and thread:\n${threads.table()}`);
    console.log(
      JSON.stringify({
        bench: 'files',
        value: Number(v.toFixed(1)),
        unit: 'MB/s',
        baseline: Number(median(fileBaseline).toFixed(1)),
        ratio: Number(median(fileRatios).toFixed(2)),
        target: 0.9,
      }),
    );
  } finally {
    for (const c of contexts) await c.close();
    for (const b of browsers) await b.close();
    relay.kill('SIGTERM');
    rawRelay.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

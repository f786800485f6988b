/**
 * `npm run bench files`: Parley's file transfer through the real UI in Debian's Chromium, against
 * the raw data channel, both through a real relay process on 127.0.0.1.
 *
 * value    = MB/s (10^6 bytes) of one file of `BENCH_FILES_MB` MiB (default 64) from the
 *            receiver's click on Accept to its transfer status saying "complete": hash list,
 *            128 KiB chunks through the TransferManager, AES-GCM secure frames, per-chunk SHA-256
 *            verification, OPFS writes, the whole-file SHA-256, acks. Median of 3. The sender's
 *            preparation pass (hashing the file before the offer) is printed but not included.
 * baseline = MB/s of the same number of bytes over a plain simple-peer data channel between two
 *            pages of the same browser, 128 KiB messages, with the sender waiting on
 *            `bufferedAmount` above 4 MiB; median of 3, interleaved with the value's runs.
 * ratio    = value / baseline; target 0.9.
 *
 * WebRTC stays on loopback: re-runs itself in a network namespace with only `lo` when it can.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { appContext, namedPage, RAW_CHANNEL, reexecInNetns, SIMPLE_PEER, startRelay } from './support/browser-bench';

const RUNS = 3;
const MB = Number(process.env.BENCH_FILES_MB ?? 64);
const BYTES = MB * 1024 * 1024;
const PORT = Number(process.env.BENCH_PORT ?? 8293);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const CONTEXT = appContext(ORIGIN);
/** The baseline injects simple-peer as an inline script, which the app's CSP rightly forbids. */
const RAW_CONTEXT = { ...CONTEXT, bypassCSP: true };




async function openChat(page: Page, other: string): Promise<void> {
  await page.getByTestId('contact-item').filter({ hasText: other }).click();
  await page.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
}

/** Alice and Bob paired through an invite, each with the other's chat open. */
async function pair(browser: Browser): Promise<[Page, Page]> {
  const alice = await namedPage(browser, ORIGIN, 'Alice');
  const bob = await namedPage(browser, ORIGIN, 'Bob');
  await alice.getByTestId('invite-create').click();
  await bob.goto(await alice.getByTestId('invite-link').inputValue());
  await openChat(bob, 'Alice');
  await openChat(alice, 'Bob');
  return [alice, bob];
}

/** One app transfer of `path` (named `name`): returns [preparation ms, accept→complete ms]. */
async function appTransfer(alice: Page, bob: Page, path: string, name: string, cpu: () => number, profile: boolean): Promise<[number, number, number]> {
  const item = (p: Page) => p.getByTestId('transfer-item').filter({ hasText: name });
  const t0 = performance.now();
  await alice.getByTestId('file-input').setInputFiles(path);
  await item(bob).getByTestId('transfer-accept').waitFor({ timeout: 120_000 });
  const stop = profile ? await startProfiles([['sender', alice], ['receiver', bob]]) : null;
  const t1 = performance.now(), c1 = cpu();
  await item(bob).getByTestId('transfer-accept').click();
  await item(bob).getByTestId('transfer-status').filter({ hasText: 'complete' }).waitFor({ timeout: 300_000 });
  const t2 = performance.now(), c2 = cpu();
  await stop?.();
  await item(bob).getByTestId('transfer-dismiss').click();
  await item(alice).getByTestId('transfer-dismiss').click();
  return [t1 - t0, t2 - t1, c2 - c1];
}




/** Receiver: resolves once `total` bytes have arrived. */
const RAW_RECEIVE = `(total) => new Promise((resolve) => {
  let n = 0;
  window.__peer.on('data', (d) => { n += d.byteLength; if (n >= total) resolve(n); });
  window.__receiving = true;
})`;

/** Sender: `total` bytes in 128 KiB messages, waiting while more than 4 MiB is buffered. */
const RAW_SEND = `async (total) => {
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
}`;

/** Two pages with a raw channel between them (made once, like the app pair). */
async function rawPair(browser: Browser): Promise<[Page, Page]> {
  const room = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const pages: Page[] = [];
  for (let i = 0; i < 2; i++) {
    const p = await (await browser.newContext(RAW_CONTEXT)).newPage();
    await p.goto('/');
    await p.addScriptTag({ content: SIMPLE_PEER });
    pages.push(p);
  }
  const answered = pages[1]!.evaluate(`(${RAW_CHANNEL})(${JSON.stringify({ room, initiator: false })})`);
  await pages[1]!.waitForFunction('window.__ready === true');
  await pages[0]!.evaluate(`(${RAW_CHANNEL})(${JSON.stringify({ room, initiator: true })})`);
  await answered;
  return [pages[0]!, pages[1]!];
}

async function rawTransfer(sender: Page, receiver: Page, cpu: () => number): Promise<[number, number]> {
  const got = receiver.evaluate(`(${RAW_RECEIVE})(${BYTES})`);
  await receiver.waitForFunction('window.__receiving === true');
  const t0 = performance.now(), c0 = cpu();
  await sender.evaluate(`(${RAW_SEND})(${BYTES})`);
  await got;
  return [performance.now() - t0, cpu() - c0];
}

/** Starts a CPU profile (CDP Profiler) of each page; the returned function stops them and prints the top self-time functions (BENCH_PROFILE). */
async function startProfiles(pages: [string, Page][]): Promise<() => Promise<void>> {
  const sessions = await Promise.all(pages.map(async ([, p]) => {
    const s = await p.context().newCDPSession(p);
    await s.send('Profiler.enable');
    await s.send('Profiler.setSamplingInterval', { interval: 500 });
    await s.send('Profiler.start');
    return s;
  }));
  return async () => { for (const [i, s] of sessions.entries()) {
    const { profile } = await s.send('Profiler.stop');
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const deltas = profile.timeDeltas ?? [];
    let total = 0;
    (profile.samples ?? []).forEach((id, k) => {
      const n = byId.get(id)!, f = n.callFrame, dt = deltas[k] ?? 0;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.BENCH_PROFILE_TOP ?? 18));
    console.log(`profile ${pages[i]![0]} (${(total / 1000).toFixed(0)} ms sampled):`);
    for (const [k, us] of top) console.log(`  ${(100 * us / total).toFixed(1).padStart(5)} %  ${k}`);
  } };
}

/** CPU seconds (user + system) used so far by the Chromium processes this script started (Linux /proc). */
function browserCpu(): number {
  const parent = new Map<number, number>(), ticks = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(f[1]));
      if (st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).includes('chrom')) ticks.set(Number(d), Number(f[11]) + Number(f[12]));
    } catch { /* gone */ }
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    let p: number | undefined = pid;
    while (p && p !== process.pid && p > 1) p = parent.get(p);
    if (p !== process.pid) continue;
    sum += t;
    if (process.env.BENCH_CPU_DETAIL) {
      let type = 'browser';
      try { type = /--type=([a-z-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1] ?? 'browser'; } catch { /* gone */ }
      const k = `${type} ${pid}`;
      if (t - (lastTicks.get(k) ?? 0) > 5) {
        // Per thread name (CrRendererMain, DedicatedWorker, ThreadPool…, WebRTC…): where a process spends it.
        const threads = new Map<string, number>();
        try {
          for (const tid of readdirSync(`/proc/${pid}/task`)) {
            const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
            const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
            const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/[0-9]+$/, '');
            const tk = `${k}/${tid}`, v = Number(f[11]) + Number(f[12]);
            threads.set(name, (threads.get(name) ?? 0) + v - (lastTicks.get(tk) ?? 0));
            lastTicks.set(tk, v);
          }
        } catch { /* gone */ }
        const top = [...threads].filter(([, v]) => v > 3).sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${(v / 100).toFixed(2)}`).join(', ');
        console.log(`  cpu ${k}: ${((t - (lastTicks.get(k) ?? 0)) / 100).toFixed(2)} s (${top})`);
      }
      lastTicks.set(k, t);
    }
  }
  return sum / 100; // USER_HZ
}
const lastTicks = new Map<string, number>();

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const mbps = (ms: number) => BYTES / 1e6 / (ms / 1000);

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const lib = new URL('../scripts/lib.mjs', import.meta.url).href;
  const { ensureBuild } = (await import(lib)) as { ensureBuild: () => void };
  ensureBuild();
  const dir = await mkdtemp(join(tmpdir(), 'parley-files-bench-'));
  const source = join(dir, 'source.bin');
  await writeFile(source, randomBytes(BYTES));
  const relay = await startRelay(PORT);
  process.on('exit', () => relay.kill('SIGTERM'));
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--headless', ...CHROMIUM_ARGS] });
  try {
    const [alice, bob] = await pair(browser);
    const [rawA, rawB] = await rawPair(browser);
    const value: number[] = [], baseline: number[] = [];
    for (let i = 0; i <= RUNS; i++) {      // run 0 warms up; interleaved, so machine noise hits both alike
      const path = join(dir, `bench-${i}.bin`);
      await copyFile(source, path);
      const cpu = browserCpu;
      const [prep, ms, appCpu] = await appTransfer(alice, bob, path, `bench-${i}.bin`, cpu, i === RUNS && !!process.env.BENCH_PROFILE);
      const [raw, rawCpu] = await rawTransfer(rawA, rawB, cpu);
      await rm(path);
      console.log(`run ${i}${i ? '' : ' (warm-up)'}: ${MB} MiB — Parley ${mbps(ms).toFixed(1)} MB/s (${ms.toFixed(0)} ms; preparation ${prep.toFixed(0)} ms), raw data channel ${mbps(raw).toFixed(1)} MB/s (${raw.toFixed(0)} ms); browser CPU per MB ${(1000 * appCpu / (BYTES / 1e6)).toFixed(1)} vs ${(1000 * rawCpu / (BYTES / 1e6)).toFixed(1)} ms`);
      if (i) { value.push(mbps(ms)); baseline.push(mbps(raw)); }
    }
    const v = median(value), b = median(baseline);
    console.log(JSON.stringify({ bench: 'files', value: Number(v.toFixed(1)), unit: 'MB/s', baseline: Number(b.toFixed(1)), ratio: Number((v / b).toFixed(2)), target: 0.9 }));
  } finally {
    await browser.close();
    relay.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => { console.error(e); process.exit(1); });

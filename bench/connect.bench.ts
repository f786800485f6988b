/**
 * `npm run bench connect`: how long from opening an invite link to a verified, connected chat,
 * in Debian's Chromium against a real relay process on 127.0.0.1.
 *
 * value    = median over 10 runs of: navigate a fresh tab to the invite link → the chat's
 *            connection status says "connected" (page load, IndexedDB, signaling, WebRTC, secret
 *            handshake, key confirmation, invite proof and result).
 * baseline = median over 10 runs, same run, same relay: navigate a fresh tab to the app's URL and
 *            open a raw simple-peer data channel to a waiting page (page load + plain WebRTC).
 * ratio    = value / baseline; target: value under 1000 ms.
 * turn     = median over 10 runs of the measured path through a TURN relay: a real coturn on
 *            127.0.0.1 (`use-auth-secret`) and a second relay process with `TURN_URLS`,
 *            `TURN_SECRET` and `ICE_TRANSPORT_POLICY=relay`, so both browsers use relay candidates
 *            only (docs/net.md "ICE configuration"); turnRatio = turn / value (TURN over direct).
 *
 * WebRTC stays on loopback: the bench re-runs itself in a network namespace with only `lo` when
 * it can (as the e2e tests do), and always passes Chromium the loopback-only flags.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { appContext, namedPage, RAW_CHANNEL, reexecInNetns, SIMPLE_PEER, startRelay } from './support/browser-bench';
import { startCoturn } from '../test/support/services';

const RUNS = 10;
const PORT = Number(process.env.BENCH_PORT ?? 8291);
const ORIGIN = `http://127.0.0.1:${PORT}`;
/** The relay that hands out TURN credentials and imposes relay-only. */
const TURN_ORIGIN = `http://127.0.0.1:${PORT + 1}`;
const TURN_SECRET = 'bench-connect-turn-secret';
const CONTEXT = appContext(ORIGIN);
/** The baseline injects simple-peer as an inline script, which the app's CSP rightly forbids. */
const RAW_CONTEXT = { ...CONTEXT, bypassCSP: true };

/** One run of the measured path: invite link → "connected", with the app served from `origin`. */
async function inviteToConnected(browser: Browser, origin = ORIGIN): Promise<number> {
  const alice = await namedPage(browser, origin, 'Alice');
  const bob = await namedPage(browser, origin, 'Bob');
  await alice.getByTestId('invite-create').click();
  const link = await alice.getByTestId('invite-link').inputValue();
  await bob.goto('about:blank');
  const t0 = performance.now();
  await bob.goto(link);
  // Opening an invite asks first (docs/app.md "Invites (invitee)"): the time includes the click.
  await bob.getByTestId('invite-confirm').click();
  await bob.getByTestId('connection-status').filter({ hasText: 'connected' }).waitFor({ timeout: 60_000 });
  const ms = performance.now() - t0;
  await alice.context().close();
  await bob.context().close();
  return ms;
}

function rawChannel(page: Page, args: { room: string; initiator: boolean }): Promise<unknown> {
  return page.evaluate(`(${RAW_CHANNEL})(${JSON.stringify(args)})`);
}

/** One run of the baseline: app URL → raw data channel to a page already in the room. */
async function rawDataChannel(browser: Browser): Promise<number> {
  const room = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const waiting = await (await browser.newContext(RAW_CONTEXT)).newPage();
  await waiting.goto('/');
  await waiting.addScriptTag({ content: SIMPLE_PEER });
  const answered = rawChannel(waiting, { room, initiator: false });
  answered.catch(() => {});
  await waiting.waitForFunction('window.__ready === true');
  const page = await (await browser.newContext(RAW_CONTEXT)).newPage();
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto('/');
  await page.addScriptTag({ content: SIMPLE_PEER });
  await rawChannel(page, { room, initiator: true });
  const ms = performance.now() - t0;
  await answered;
  await waiting.context().close();
  await page.context().close();
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  reexecInNetns(import.meta.url);
  const lib = new URL('../scripts/lib.mjs', import.meta.url).href;
  const { ensureBuild } = (await import(lib)) as { ensureBuild: () => void };
  ensureBuild();
  const relay = await startRelay(PORT);
  const coturn = await startCoturn({ secret: TURN_SECRET });
  const turnRelay = await startRelay(PORT + 1, {
    TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp`,
    TURN_SECRET,
    ICE_TRANSPORT_POLICY: 'relay',
  });
  process.on('exit', () => {
    relay.kill('SIGTERM');
    turnRelay.kill('SIGTERM');
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', ...CHROMIUM_ARGS],
  });
  try {
    await inviteToConnected(browser); // warm-up: caches, JIT
    await inviteToConnected(browser, TURN_ORIGIN);
    await rawDataChannel(browser);
    const value: number[] = [];
    const baseline: number[] = [];
    const turn: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // interleaved, so machine noise hits all three alike
      value.push(await inviteToConnected(browser));
      turn.push(await inviteToConnected(browser, TURN_ORIGIN));
      baseline.push(await rawDataChannel(browser));
      console.log(
        `run ${i + 1}: invite→connected ${value[i]!.toFixed(0)} ms direct, ${turn[i]!.toFixed(0)} ms through TURN; raw data channel ${baseline[i]!.toFixed(0)} ms`,
      );
    }
    const v = Math.round(median(value));
    const b = Math.round(median(baseline));
    const t = Math.round(median(turn));
    const allocations = (coturn.log().match(/ALLOCATE processed, success/g) ?? []).length;
    console.log(
      `invite→connected, median of ${RUNS}: direct ${v} ms, through TURN (relay-only, coturn on loopback) ${t} ms (${(t / v).toFixed(2)}× direct); coturn granted ${allocations} allocations`,
    );
    console.log(
      JSON.stringify({
        bench: 'connect',
        value: v,
        unit: 'ms',
        baseline: b,
        ratio: Number((v / b).toFixed(2)),
        target: 1000,
        turn: t,
        turnRatio: Number((t / v).toFixed(2)),
      }),
    );
  } finally {
    await browser.close();
    relay.kill('SIGTERM');
    turnRelay.kill('SIGTERM');
    await coturn.stop();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * Shared plumbing of the Chromium benchmarks (connect, files, files-memory): run the script inside
 * a loopback-only network namespace, start a real relay process serving dist/, and make a named
 * app page. Each benchmark keeps only what it measures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Browser-context options for the app at `origin` (camera/microphone lift mDNS hiding on loopback). */
export const appContext = (origin: string) => ({ baseURL: origin, permissions: ['camera', 'microphone'] });

/**
 * Re-runs `script` inside `unshare -n` (only `lo` up) and exits with its status, unless already
 * inside one, disabled by PARLEY_NO_NETNS, or namespaces are unavailable (then returns).
 */
export function reexecInNetns(script: string): void {
  if (process.env.PARLEY_IN_NETNS || process.env.PARLEY_NO_NETNS) return;
  if (spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status !== 0) return;
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" --import tsx "${fileURLToPath(script)}"`],
    { stdio: 'inherit', env: { ...process.env, PARLEY_IN_NETNS: '1' }, cwd: root },
  );
  process.exit(r.status ?? 1);
}

/** Starts `server/main.ts` on 127.0.0.1:`port` (with `env` on top, e.g. TURN_URLS) and waits for /healthz. */
export async function startRelay(port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${origin}/healthz`)).ok) return child;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill();
  throw new Error('relay did not start');
}

/** A fresh browser context on the app at `origin`, with the display name `name` saved. */
export async function namedPage(browser: Browser, origin: string, name: string): Promise<Page> {
  return nameThePage(await (await browser.newContext(appContext(origin))).newPage(), name);
}

/** `page` (of a context whose baseURL is the app) on the app, with the display name `name` saved. */
export async function nameThePage(page: Page, name: string): Promise<Page> {
  await page.goto('/');
  await page.getByTestId('display-name-input').fill(name);
  await page.getByTestId('display-name-save').click();
  await page.getByTestId('invite-create').waitFor();
  return page;
}

/** simple-peer's browser build, to inject into a baseline page (the app's CSP forbids it, so baseline contexts bypass CSP). */
export const SIMPLE_PEER = readFileSync(`${root}node_modules/simple-peer/simplepeer.min.js`, 'utf8');

/**
 * In a page: join `args.room` on the relay and open a plain simple-peer data channel (signals as
 * base64url JSON, unsealed), kept in `window.__peer` — the baseline the app is measured against.
 * Kept as source text: the bundler's helpers do not exist in a page.
 */
export const RAW_CHANNEL = `(args) => new Promise((resolve, reject) => {
  const b64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const unb64 = (s) => new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)));
  const ws = new WebSocket('ws://' + location.host + '/signal');
  let peer = null;
  const make = () => {
    const p = new window.SimplePeer({ initiator: args.initiator, trickle: true, config: { iceServers: [] } });
    window.__peer = p;
    p.on('signal', (s) => ws.send(JSON.stringify({ type: 'publish', room: args.room, data: b64(JSON.stringify(s)) })));
    p.on('connect', () => resolve(true));
    p.on('error', (e) => reject(e));
    return p;
  };
  ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', room: args.room }));
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.type === 'subscribed') { if (args.initiator) peer = make(); else window.__ready = true; }
    if (m.type === 'message' && m.data) { peer = peer || make(); peer.signal(JSON.parse(unb64(m.data))); }
  };
})`;

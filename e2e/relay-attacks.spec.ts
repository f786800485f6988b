/**
 * The app in Chromium against relay processes run by the attack harnesses of test/support/
 * (docs/attack-harnesses.md): each serves dist/ on its own port, so the pages are opened from it
 * and the app talks to it as its relay.
 * - recording relay: a pairing and a chat; the leak scanner finds no secret in the JSON-lines
 *   recording (control: a planted key is found);
 * - hostile relay that holds the invite and swaps both DTLS legs (optionally hiding every failure
 *   notice): the handshake fails, the error banner says someone may be interfering, nothing passes.
 */
import { test, expect } from '@playwright/test';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { makeInvite, contextOptions, chooseName, expectConnected, expectError, send, message, type Person } from './support/app';
import { spyOnWebRTC, webrtcSeen, fingerprints, identityKey } from './support/webrtc-spy';
import { findLeaks, type Secret } from '../test/support/leakscan';
import { readRecording } from '../test/support/recording-relay';
import type { HostileStats } from '../test/support/hostile-relay';
import { E2E_PORT } from '../playwright.config';

interface RelayProc { url: string; lines: string[]; child: ChildProcessByStdio<Writable, Readable, null>; say(line: string): void; stop(): Promise<void> }

async function startProc(script: string, port: number, args: string[]): Promise<RelayProc> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', String(port), '--static', 'dist', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(l));
  await expect.poll(() => child.exitCode === null && lines.some((l) => / listening on http/.test(l)), { timeout: 30_000 }).toBe(true);
  return {
    url: `http://127.0.0.1:${port}`, lines, child,
    say: (line) => { child.stdin.write(`${line}\n`); },
    stop: () => new Promise<void>((resolve) => { if (child.exitCode !== null) return resolve(); child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

let relay: RelayProc | undefined;
const people: Person[] = [];
const files: string[] = [];
test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close();
  await relay?.stop();
  relay = undefined;
  for (const f of files.splice(0)) rmSync(f, { force: true });
});

async function enter(browser: import('@playwright/test').Browser, name: string, spy = false): Promise<Person> {
  const context = await browser.newContext(contextOptions(relay!.url));
  if (spy) await spyOnWebRTC(context);
  const page = await context.newPage();
  await page.goto('/');
  await chooseName(page, name);
  const p = { name, context, page };
  people.push(p);
  return p;
}

test('recording relay process: a pairing and a chat leave no key, fingerprint, SDP line, candidate or text in its recording', async ({ browser }) => {
  const out = join(tmpdir(), `parley-e2e-record-${process.pid}-${Date.now()}.jsonl`);
  files.push(out);
  relay = await startProc('test/support/recording-relay.ts', E2E_PORT + 3, ['--out', out]);
  const alice = await enter(browser, 'Alice Liddell', true);
  const bob = await enter(browser, 'Bob the Builder', true);
  await bob.page.goto(await makeInvite(alice));
  await expectConnected(bob, 'Alice Liddell');
  await expectConnected(alice, 'Bob the Builder');
  const texts = ['meet me under the clock at half past nine', 'bring the map, not the compass'];
  await send(alice, texts[0]!);
  await expect(message(bob, texts[0]!)).toBeVisible();
  await send(bob, texts[1]!);
  await expect(message(alice, texts[1]!)).toBeVisible();

  const frames = readRecording(out);
  expect(frames.length).toBeGreaterThanOrEqual(4);
  const secrets: Secret[] = texts.map((t) => ({ label: 'message text', value: t }));
  for (const p of [alice, bob]) {
    secrets.push({ label: `${p.name}: identity key`, value: await identityKey(p.page) }, { label: `${p.name}: name`, value: p.name });
    const seen = await webrtcSeen(p.page);
    expect(seen.sdp.length).toBeGreaterThan(0);
    for (const f of fingerprints(seen.sdp)) secrets.push({ label: 'DTLS fingerprint', value: f.bytes }, { label: 'DTLS fingerprint text', value: f.text });
    for (const l of new Set(seen.sdp.flatMap((s) => s.split(/\r?\n/)))) if (l.length >= 8) secrets.push({ label: `SDP line ${l}`, value: l });
    for (const c of new Set(seen.candidates)) secrets.push({ label: `ICE candidate ${c}`, value: c });
  }
  expect(secrets.filter((s) => s.label === 'DTLS fingerprint').length).toBeGreaterThanOrEqual(2);
  expect(findLeaks(secrets, frames.map((f) => f.raw))).toEqual([]);
  // Control: the scanner finds a key planted in a frame of the same shape.
  const planted = JSON.stringify({ type: 'message', room: frames[0]!.room, data: Buffer.from(secrets[2]!.value as Uint8Array).toString('base64url') });
  expect(findLeaks(secrets, [planted]).map((l) => l.label)).toContain(secrets[2]!.label);
});

for (const hide of [false, true]) {
  test(`hostile relay process holding the invite${hide ? ', hiding every failure notice' : ''}: the handshake fails, both are told, nothing passes`, async ({ browser }) => {
    relay = await startProc('test/support/hostile-relay.ts', E2E_PORT + 4, ['--mode', 'mitm', ...(hide ? ['--hide-failures', 'yes'] : [])]);
    const alice = await enter(browser, 'Alice');
    const bob = await enter(browser, 'Bob');
    const link = await makeInvite(alice);
    relay.say(`target ${link}`); // the link leaked to the relay operator
    await expect.poll(() => relay!.lines.some((l) => l.includes('"targeting"'))).toBe(true);
    await bob.page.goto(link);

    await expectError(bob, 'HANDSHAKE_FAILED');
    await expect(bob.page.getByTestId('error-banner')).toContainText('someone may be interfering');
    await expectError(alice, 'HANDSHAKE_FAILED');
    relay.say('stats');
    await expect.poll(() => relay!.lines.some((l) => l.startsWith('stats '))).toBe(true);
    const stats = JSON.parse(relay.lines.find((l) => l.startsWith('stats '))!.slice(6)) as HostileStats;
    // The attack was real: both browsers had a data channel to the relay, which carried bytes.
    expect(stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(stats.relayedMessages).toBeGreaterThanOrEqual(1);
    for (const p of [alice, bob]) {
      await expect(p.page.getByTestId('contact-item')).toHaveCount(0);
      await expect(p.page.getByTestId('message-item')).toHaveCount(0);
    }
  });
}

test('hostile relay process writing the victims\' real fingerprints into its SDP: Chromium opens no data channel to it, nothing passes', async ({ browser }) => {
  relay = await startProc('test/support/hostile-relay.ts', E2E_PORT + 4, ['--mode', 'mitm', '--spoof-fingerprints', 'yes']);
  const alice = await enter(browser, 'Alice');
  const bob = await enter(browser, 'Bob');
  const link = await makeInvite(alice);
  relay.say(`target ${link}`);
  await expect.poll(() => relay!.lines.some((l) => l.includes('"targeting"'))).toBe(true);
  await bob.page.goto(link);
  await expect.poll(() => relay!.lines.some((l) => l.includes('"spoofing"'))).toBe(true);
  // The app gives the attempt up (no data channel opens) and tries again: wait for the relay
  // to intercept a second attempt, then check nothing was ever bridged.
  const latestStats = async (): Promise<HostileStats> => {
    const before = relay!.lines.length;
    relay!.say('stats');
    await expect.poll(() => relay!.lines.slice(before).some((l) => l.startsWith('stats '))).toBe(true);
    return JSON.parse(relay!.lines.slice(before).find((l) => l.startsWith('stats '))!.slice(6)) as HostileStats;
  };
  await expect.poll(async () => (await latestStats()).intercepted, { timeout: 90_000, intervals: [2000] }).toBeGreaterThanOrEqual(2);
  const stats = await latestStats();
  expect(stats.spoofed).toBeGreaterThanOrEqual(1);
  expect(stats.bridgesOpened).toBe(0);
  expect(stats.relayedMessages).toBe(0);
  for (const p of [alice, bob]) {
    await expect(p.page.getByTestId('contact-item')).toHaveCount(0);
    await expect(p.page.getByTestId('message-item')).toHaveCount(0);
  }
});

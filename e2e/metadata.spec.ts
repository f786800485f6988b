import { test, expect } from '@playwright/test';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeInvite, expectConnected, send, message, contextOptions, chooseName, type Person } from './support/app';
import { startRecordingRelay, readRecording } from './support/recording-relay';
import { spyOnWebRTC, webrtcSeen, fingerprints, identityKey } from './support/webrtc-spy';
import { findLeaks, type Secret } from '../test/support/leakscan';
import { E2E_PORT } from '../playwright.config';
import type { RelayProcess } from './support/spawn-relay';

test.describe('what the relay sees', () => {
  let relay: RelayProcess | undefined;
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close();
    await relay?.stop();
  });

  test('no identity key, DTLS fingerprint, SDP line, ICE candidate or message text in any forwarded frame', async ({ browser }) => {
    const file = join(tmpdir(), `parley-relay-record-${process.pid}-${Date.now()}.jsonl`);
    relay = await startRecordingRelay(E2E_PORT + 1, file);
    const join2 = async (name: string): Promise<Person> => {
      const context = await browser.newContext(contextOptions(relay!.url));
      await spyOnWebRTC(context);
      const page = await context.newPage();
      await page.goto('/');
      await chooseName(page, name);
      return { name, context, page };
    };
    const alice = await join2('Alice');
    const bob = await join2('Bob');
    people.push(alice, bob);

    await bob.page.goto(await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    const texts = ['the eagle lands at midnight, bring the blue umbrella', 'understood: blue umbrella, platform nine'];
    await send(alice, texts[0]!);
    await expect(message(bob, texts[0]!)).toBeVisible();
    const seenBefore = await webrtcSeen(bob.page);           // the reload clears the page's record
    // A second meeting, through the daily contact rendezvous rather than the invite.
    await bob.page.reload();
    await expectConnected(bob, 'Alice');
    await send(bob, texts[1]!);
    await expect(message(alice, texts[1]!)).toBeVisible();

    const frames = readRecording(file);
    expect(frames.length).toBeGreaterThan(4);             // offers, answers, candidates went through it

    const secrets: Secret[] = [];
    for (const p of [alice, bob]) {
      secrets.push({ label: `${p.name} identity key`, value: await identityKey(p.page) });
      const seen = await webrtcSeen(p.page);
      if (p === bob) { seen.sdp.push(...seenBefore.sdp); seen.candidates.push(...seenBefore.candidates); }
      expect(seen.sdp.length).toBeGreaterThan(0);
      for (const f of fingerprints(seen.sdp)) {
        secrets.push({ label: `${p.name} DTLS fingerprint`, value: f.bytes }, { label: `${p.name} DTLS fingerprint text`, value: f.text });
      }
      const lines = new Set(seen.sdp.flatMap((s) => s.split(/\r?\n/)).filter((l) => l.length >= 8));
      for (const l of lines) secrets.push({ label: `${p.name} SDP line ${l.slice(0, 30)}`, value: l });
      for (const c of new Set(seen.candidates)) secrets.push({ label: `${p.name} ICE candidate`, value: c });
    }
    for (const t of texts) secrets.push({ label: `message text`, value: t });
    expect(secrets.filter((s) => s.label.includes('fingerprint')).length).toBeGreaterThanOrEqual(2);
    expect(secrets.filter((s) => s.label.includes('candidate')).length).toBeGreaterThan(0);

    expect(findLeaks(secrets, frames)).toEqual([]);

    // The scan itself can fail: a frame carrying Alice's key in base64url is caught.
    const aliceKey = secrets[0]!.value as Uint8Array;
    const planted = JSON.stringify({ type: 'message', room: 'x', data: Buffer.from(aliceKey).toString('base64url') });
    expect(findLeaks(secrets, [...frames, planted]).map((l) => l.label)).toContain('Alice identity key');
  });
});

/**
 * A man in the middle at the relay (DESIGN.md "Handshake"; docs/attack-harnesses.md): the app in
 * Chromium, served by the hostile relay process (test/support/hostile-relay.ts), whose operator
 * holds the invite link (`target LINK` on its stdin, as a leaked link would reach it).
 * - `--mode mitm`, with and without `--hide-failures yes`: both DTLS legs open to the relay, which
 *   carries the handshake bytes across; the handshake fails, both people are told someone may be
 *   interfering, nobody is paired, nothing passes;
 * - `--spoof-fingerprints yes`: the relay writes the victims' real fingerprints into its SDP;
 *   Chromium's DTLS refuses the relay's certificate, no leg is ever bridged, nothing passes.
 */
import { test, expect, type Browser } from '@playwright/test';
import { makeInvite, expectError, person, type Person, openInviteLink } from './support/app';
import { startHarness, type HarnessProcess } from '../test/support/harness-process';
import type { HostileStats } from '../test/support/hostile-relay';
import { E2E_PORT } from '../playwright.config';

let relay: HarnessProcess | undefined;
const people: Person[] = [];
test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close();
  await relay?.stop();
  relay = undefined;
});

/** Alice and Bob on the hostile relay, which has been handed Alice's invite before Bob opens it. */
async function attacked(browser: Browser, flags: string[]): Promise<{ alice: Person; bob: Person; link: string }> {
  relay = await startHarness('test/support/hostile-relay.ts', [
    '--port',
    String(E2E_PORT + 2),
    '--static',
    'dist',
    '--mode',
    'mitm',
    ...flags,
  ]);
  const alice = await person(browser, 'Alice', { baseURL: relay.url });
  const bob = await person(browser, 'Bob', { baseURL: relay.url });
  people.push(alice, bob);
  const link = await makeInvite(alice);
  const from = relay.lines.length;
  relay.say(`target ${link}`);
  await relay.waitFor(/^event .*"targeting"/, { from });
  await openInviteLink(bob, link);
  return { alice, bob, link };
}

async function expectNothingPassed(p: Person): Promise<void> {
  await expect(p.page.getByTestId('contact-item')).toHaveCount(0);
  await expect(p.page.getByTestId('message-item')).toHaveCount(0);
  await expect(p.page.getByTestId('message-input')).toHaveCount(0);
}

for (const hide of [false, true]) {
  test(`a relay holding the invite swaps both DTLS legs${hide ? ' and hides every failure notice' : ''}: the handshake fails, both are told, nothing passes`, async ({
    browser,
  }) => {
    const { alice, bob } = await attacked(browser, hide ? ['--hide-failures', 'yes'] : []);

    await expectError(bob, 'HANDSHAKE_FAILED');
    await expect(bob.page.getByTestId('error-banner')).toContainText(
      'could not be verified — someone may be interfering',
    );
    await expectError(alice, 'HANDSHAKE_FAILED');
    await expect(alice.page.getByTestId('error-banner')).toContainText('someone may be interfering');

    // The attack was real: each browser opened a data channel to the relay, which carried
    // handshake bytes between them.
    const stats = await relay!.stats<HostileStats>();
    expect(stats.intercepted).toBeGreaterThanOrEqual(1);
    expect(stats.bridgesOpened).toBeGreaterThanOrEqual(1);
    expect(stats.relayedMessages).toBeGreaterThanOrEqual(1);
    for (const p of [alice, bob]) await expectNothingPassed(p);
  });
}

test("a relay writing the victims' real fingerprints into its SDP: Chromium opens no data channel to it, nothing passes", async ({
  browser,
}) => {
  const { alice, bob } = await attacked(browser, ['--spoof-fingerprints', 'yes']);
  await relay!.waitFor(/^event .*"spoofing"/);
  // The app gives the attempt up (no data channel opens) and tries again: wait for the relay to
  // intercept a second attempt, then check nothing was ever bridged.
  await expect
    .poll(async () => (await relay!.stats<HostileStats>()).intercepted, { timeout: 90_000, intervals: [2000] })
    .toBeGreaterThanOrEqual(2);
  const stats = await relay!.stats<HostileStats>();
  expect(stats.spoofed).toBeGreaterThanOrEqual(1);
  expect(stats.bridgesOpened).toBe(0);
  expect(stats.relayedMessages).toBe(0);
  for (const p of [alice, bob]) await expectNothingPassed(p);
});

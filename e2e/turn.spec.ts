/**
 * Connecting through TURN (issue 13; docs/app.md "Network: TURN and relay-only"): a real coturn
 * (Debian's package) on 127.0.0.1 with `use-auth-secret`, started by the test, and the app's relay
 * handing out TURN REST credentials from `TURN_URLS`/`TURN_SECRET`. Which candidates a browser
 * used is read from its own `getStats()` (e2e/support/rtc-stats.ts), never from the app's words.
 */
import { test, expect } from '@playwright/test';
import {
  expectConnected,
  expectError,
  makeInvite,
  message,
  openInviteLink,
  person,
  send,
  type Person,
} from './support/app';
import { spawnRelay, type RelayProcess } from './support/spawn-relay';
import {
  candidateLineType,
  liveConnectionStats,
  recordPeerConnections,
  recordedConnections,
  type PcStats,
} from './support/rtc-stats';
import { startCoturn, type Service } from '../test/support/services';
import { E2E_PORT } from '../playwright.config';

const SECRET = 'e2e-turn-secret-0123456789';
const PORT = E2E_PORT + 13;

let relay: RelayProcess | undefined;
let turn: Service | undefined;
const people: Person[] = [];

test.afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close();
  await relay?.stop();
  relay = undefined;
  await turn?.stop();
  turn = undefined;
});

/** coturn with `secret`, and the app's relay handing out credentials signed with `relaySecret`. */
async function start(o: { relaySecret?: string; policy: 'all' | 'relay' }): Promise<string> {
  turn = await startCoturn({ secret: SECRET });
  relay = await spawnRelay('../../server/main.ts', PORT, {
    TURN_URLS: `turn:127.0.0.1:${turn.port}?transport=udp`,
    TURN_SECRET: o.relaySecret ?? SECRET,
    ICE_TRANSPORT_POLICY: o.policy,
  });
  return relay.url;
}

/** Each connection's local candidates, from getStats(); the live ones and those that connected earlier. */
async function localCandidateTypes(p: Person): Promise<{ live: PcStats[]; connected: PcStats[]; gathered: string[] }> {
  const live = await liveConnectionStats(p.page);
  const { connected, gathered } = await recordedConnections(p.page);
  return { live, connected, gathered: gathered.map(candidateLineType) };
}

const allocations = (log: string) => (log.match(/ALLOCATE processed, success/g) ?? []).length;

test.describe('TURN', () => {
  test('ICE_TRANSPORT_POLICY=relay: two browsers pair and chat through coturn, and both say so', async ({
    browser,
  }) => {
    const baseURL = await start({ policy: 'relay' });
    const alice = await person(browser, 'Alice', { baseURL, init: recordPeerConnections });
    const bob = await person(browser, 'Bob', { baseURL, init: recordPeerConnections });
    people.push(alice, bob);
    // The server imposes it: shown checked, and not something the person can turn off.
    for (const p of [alice, bob]) {
      const box = p.page.getByTestId('settings-relay-only');
      await expect(box).toBeChecked();
      await expect(box).toBeDisabled();
      await expect(p.page.getByTestId('settings-relay-only-note')).toContainText('This server requires it');
    }
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await send(alice, 'hello through the relay');
    await expect(message(bob, 'hello through the relay')).toBeVisible();
    await send(bob, 'and back');
    await expect(message(alice, 'and back')).toBeVisible();

    for (const p of [alice, bob]) {
      const route = p.page.getByTestId('connection-route');
      await expect(route).toHaveAttribute('data-route', 'relay');
      await expect(route).toContainText('Through a TURN relay');
      await expect(route).toContainText(/round trip [\d.]+ ms/);
      const s = await localCandidateTypes(p);
      expect(s.live.length).toBeGreaterThan(0);
      for (const pc of [...s.live, ...s.connected]) {
        expect(pc.policy).toBe('relay');
        expect(pc.localTypes.length).toBeGreaterThan(0);
        expect(new Set(pc.localTypes)).toEqual(new Set(['relay']));
      }
      expect(s.live.some((pc) => pc.selected?.local === 'relay' && pc.selected.remote === 'relay')).toBe(true);
      expect(new Set(s.gathered)).toEqual(new Set(['relay']));
    }
    // coturn's own log: the allocations of both browsers, under REST usernames "<expiry>:<id>".
    const log = turn!.log();
    expect(allocations(log)).toBeGreaterThanOrEqual(2);
    expect(log).toMatch(/user <\d{10}:[A-Za-z0-9_-]+>/);
  });

  test('a wrong TURN_SECRET: both sides show CONNECTION_FAILED, not "waiting"', async ({ browser }) => {
    const baseURL = await start({ policy: 'relay', relaySecret: 'not-the-secret-coturn-has' });
    const alice = await person(browser, 'Alice', { baseURL });
    const bob = await person(browser, 'Bob', { baseURL });
    people.push(alice, bob);
    await openInviteLink(bob, await makeInvite(alice));
    // Both were at the rendezvous; no relay address was granted, so no route exists.
    await expectError(bob, 'CONNECTION_FAILED');
    await expectError(alice, 'CONNECTION_FAILED');
    for (const p of [alice, bob]) {
      const banner = p.page.getByTestId('error-banner');
      await expect(banner).toContainText('both online');
      await expect(banner).toContainText('TURN relay');
      await expect(banner).toContainText('operator');
    }
    const pending = bob.page.getByTestId('invite-pending');
    await expect(pending).toHaveAttribute('data-code', 'CONNECTION_FAILED');
    await expect(pending).not.toContainText('Waiting');
    // coturn refused every allocation.
    expect(allocations(turn!.log())).toBe(0);
    expect(turn!.log()).toMatch(/401/);
  });

  test('relay-only chosen by one person (server policy all): only relay candidates on their side', async ({
    browser,
  }) => {
    const baseURL = await start({ policy: 'all' });
    const alice = await person(browser, 'Alice', { baseURL, init: recordPeerConnections });
    const bob = await person(browser, 'Bob', { baseURL, init: recordPeerConnections });
    people.push(alice, bob);
    const box = alice.page.getByTestId('settings-relay-only');
    await expect(box).not.toBeChecked();
    await expect(box).toBeEnabled();

    // First without it: a direct link (host candidates on loopback).
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    await expect(alice.page.getByTestId('connection-route')).toHaveAttribute('data-route', 'direct');
    expect((await localCandidateTypes(alice)).live.some((pc) => pc.localTypes.includes('host'))).toBe(true);

    // Alice hides her address: the direct link is replaced by one through the relay.
    await box.check();
    await expect(alice.page.getByTestId('connection-route')).toHaveAttribute('data-route', 'relay', {
      timeout: 45_000,
    });
    await expect(alice.page.getByTestId('connection-status')).toContainText('connected');
    await send(alice, 'now through the relay');
    await expect(message(bob, 'now through the relay')).toBeVisible();
    const after = await localCandidateTypes(alice);
    expect(after.live.length).toBeGreaterThan(0);
    for (const pc of after.live) {
      expect(pc.policy).toBe('relay');
      expect(new Set(pc.localTypes)).toEqual(new Set(['relay']));
    }
    // Bob chose nothing: his side may still offer host candidates.
    expect((await liveConnectionStats(bob.page)).every((pc) => pc.policy === 'all')).toBe(true);

    // Kept across a reload, and applied from the first link after it.
    await alice.page.reload();
    await expect(alice.page.getByTestId('settings-relay-only')).toBeChecked();
    await expectConnected(alice, 'Bob');
    await expect(alice.page.getByTestId('connection-route')).toHaveAttribute('data-route', 'relay');
    const reloaded = await localCandidateTypes(alice);
    expect(reloaded.connected.length).toBeGreaterThan(0);
    for (const pc of [...reloaded.live, ...reloaded.connected]) {
      expect(pc.policy).toBe('relay');
      expect(new Set(pc.localTypes)).toEqual(new Set(['relay']));
    }
    expect(new Set(reloaded.gathered)).toEqual(new Set(['relay']));
  });

  test('contacts with no route between them: CONNECTION_FAILED on both sides, in the banner and the status line, until a link comes up', async ({
    browser,
  }) => {
    const baseURL = await start({ policy: 'all' });
    const alice = await person(browser, 'Alice', { baseURL });
    const bob = await person(browser, 'Bob', { baseURL });
    people.push(alice, bob);
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await expectConnected(alice, 'Bob');
    // The TURN server goes away and Alice asks for relay-only: both are still online, but no
    // connection can be made any more.
    await turn!.stop();
    await alice.page.getByTestId('settings-relay-only').check();
    for (const [p, other] of [
      [alice, 'Bob'],
      [bob, 'Alice'],
    ] as const) {
      // An unreachable TURN server is not refused at once: ICE gives up at the attempt's 30 s.
      await expect(p.page.getByTestId('error-banner')).toHaveAttribute('data-code', 'CONNECTION_FAILED', {
        timeout: 60_000,
      });
      const status = p.page.getByTestId('connection-status');
      await expect(status).toHaveAttribute('data-state', 'failed');
      await expect(status).toHaveAttribute('data-code', 'CONNECTION_FAILED');
      await expect(status).toContainText(`no route to ${other}`);
      await expect(status).not.toContainText('waiting');
    }
    // Alice gives up relay-only: a direct link comes up and the problem is gone on both sides.
    await alice.page.getByTestId('settings-relay-only').uncheck();
    for (const p of [alice, bob]) {
      await expect(p.page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected', {
        timeout: 45_000,
      });
      await expect(p.page.getByTestId('error-banner')).toHaveCount(0);
    }
  });
});

test('relay-only without any TURN server says that nothing can connect', async ({ browser }) => {
  // The default e2e relay serves no TURN.
  const alice = await person(browser, 'Alice');
  people.push(alice);
  await alice.page.getByTestId('settings-relay-only').check();
  await expectError(alice, 'TURN_UNAVAILABLE');
  await expect(alice.page.getByTestId('settings-relay-only-problem')).toContainText('no TURN relay');
  await alice.page.getByTestId('settings-relay-only').uncheck();
  await expect(alice.page.getByTestId('error-banner')).toHaveCount(0);
});

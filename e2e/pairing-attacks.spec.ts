/**
 * Pairing under attack (docs/security.md "Pairing never changes a contact", "Invites ask first",
 * "Invite links and history"), through the real UI, a real relay and real WebRTC:
 * - a thief holding Bob's old, replaced key (his old backup) redeems a fresh invite from Alice and
 *   is refused on both sides; Alice's record, session and outbox for Bob do not change, and Bob
 *   still reaches her;
 * - a page elsewhere sends Bob's tab to Alice's invite link: Bob is asked first, and until he clicks
 *   Connect neither Alice nor the (recording) relay sees anything of that invite;
 * - the invite leaves the address bar and the tab's history entries.
 */
import { test, expect, type Browser } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  contextOptions,
  expectConnected,
  expectError,
  makeInvite,
  message,
  openInviteLink,
  pairedPeople,
  person,
  send,
  type Person,
} from './support/app';
import {
  contactSnapshots,
  exportBackupFile,
  forgetContacts,
  importBackupFile,
  markVerified,
  rotateIdentity,
  SCRYPT,
  sessionSnapshot,
} from './support/trust';
import { recordingRelayFixture } from './support/recording';
import { readRecording } from '../test/support/recording-relay';
import { parseInvite } from '../src/core/invite';
import { roomId } from '../src/core/rendezvous';
import { E2E_PORT } from '../playwright.config';

const fx = recordingRelayFixture();

/**
 * The sockets that published in the invite's room so far. Alice's listener announces itself there
 * as soon as it listens (and again on each new attempt); anyone else's socket is the invitee's.
 */
async function inviteRoomSockets(out: string, room: string): Promise<Set<string>> {
  return new Set(
    readRecording(out)
      .filter((f) => f.room === room)
      .map((f) => f.from),
  );
}

/**
 * Alice and Bob on the recording relay, Alice's invite made and her listener announced in its room:
 * the relay's file, the link, the invite's room, and Alice's socket(s) there.
 */
async function aliceInvitesOnRecord(browser: Browser, tag: string) {
  const relay = await fx.start(E2E_PORT + 1, tag);
  const alice = await person(browser, 'Alice', { baseURL: relay.url });
  const bob = await person(browser, 'Bob', { baseURL: relay.url });
  people.push(alice, bob);
  const link = await makeInvite(alice);
  const parsed = parseInvite(link, Date.now());
  if (!parsed.ok) throw new Error(parsed.message);
  const room = roomId(parsed.invite.rendezvousSecret);
  return { alice, bob, link, room, out: relay.out, url: relay.url, alices: await aliceInRoom(relay.out, room) };
}

/** Waits until Alice's listener has announced itself in the invite's room; returns her socket(s) there. */
async function aliceInRoom(out: string, room: string): Promise<Set<string>> {
  await expect.poll(async () => (await inviteRoomSockets(out, room)).size, { timeout: 30_000 }).toBeGreaterThan(0);
  return inviteRoomSockets(out, room);
}
const people = fx.people;
let elsewhere: Server | undefined;
test.afterEach(async () => {
  await new Promise<void>((resolve) => (elsewhere ? elsewhere.close(() => resolve()) : resolve()));
  elsewhere = undefined;
});

test('attack: a thief with Bob’s old, replaced key (his old backup) is refused in Alice’s reset room and when she redeems a fresh invite; Alice’s record, session and outbox for Bob stay, and Bob still reaches her', async ({
  browser,
}) => {
  const [alice, bob] = await pairedPeople(browser, people);
  const oldBackup = await exportBackupFile(bob.page); // later stolen: Bob's old key and contacts

  // Bob replaces his key; Alice compares the new number, accepts it and marks him verified.
  await rotateIdentity(bob.page);
  await expect(alice.page.getByTestId('key-change-warning')).toBeVisible({ timeout: 60_000 });
  await alice.page.getByTestId('key-change-accept').click();
  await expectConnected(alice, 'Bob');
  await markVerified(alice.page);
  await send(bob, 'from my new key');
  await expect(message(alice, 'from my new key')).toHaveAttribute('data-direction', 'in');

  // Bob goes offline; Alice writes to him meanwhile (the message waits in her outbox).
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-status')).toContainText('waiting for Bob to come online');
  await send(alice, 'for the real Bob only');
  const before = { contacts: await contactSnapshots(alice.page), sessions: await sessionSnapshot(alice.page) };
  expect(before.contacts).toHaveLength(1);
  expect(before.contacts[0]).toMatchObject({ verified: true, keyChange: null, blocked: false });
  expect(before.contacts[0]!.formerKeys).toEqual([before.contacts[0]!.key]); // the old key, kept

  // The thief restores Bob's old backup: his old key and the pairing's contact secret. Her app
  // goes looking for Alice in Alice's reset room for Bob (the one room where another key may
  // complete the handshake): refused there at the handshake, so Alice is not even warned.
  const context = await browser.newContext(contextOptions());
  const thief: Person = { name: 'Thief', context, page: await context.newPage() };
  people.push(thief);
  await thief.page.goto('/');
  await importBackupFile(thief.page, oldBackup);
  await expect(thief.page.getByTestId('own-name')).toHaveText('Bob', SCRYPT);
  const refused = alice.page.getByTestId('error-banner');
  await expect(refused).toHaveAttribute('data-code', 'HANDSHAKE_FAILED', { timeout: 60_000 }); // one attempt: ≤ 30 s
  await expect(alice.page.getByTestId('key-change-warning')).toHaveCount(0);
  expect(await contactSnapshots(alice.page)).toEqual(before.contacts);

  // Then she drops the contacts the backup brought (her browser, her rules: she wants to pair afresh).
  await forgetContacts(thief.page);
  await thief.page.reload();
  await expect(thief.page.getByTestId('contact-item')).toHaveCount(0);

  // "I'm Dave, please invite me": Alice makes a fresh invite, and the thief redeems it with Bob's old key.
  await openInviteLink(thief, await makeInvite(alice));
  await expectError(thief, 'INVITE_KEY_REFUSED');
  await expect(alice.page.getByTestId('error-banner').filter({ hasText: 'Bob' })).toHaveAttribute(
    'data-code',
    'PAIRING_FORMER_KEY',
  );
  await expect(thief.page.getByTestId('contact-item')).toHaveCount(0);

  // Nothing about Bob changed at Alice's: same key, verified mark, no warning, same session and outbox.
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(1);
  await expect(alice.page.getByTestId('key-change-warning')).toHaveCount(0);
  await expect(alice.page.locator('.chat-head').getByTestId('contact-verified')).toBeVisible();
  expect(await contactSnapshots(alice.page)).toEqual(before.contacts);
  expect(await sessionSnapshot(alice.page)).toBe(before.sessions);

  // The real Bob comes back: the waiting message reaches him, and chat goes on both ways.
  bob.page = await bob.context.newPage();
  await bob.page.goto('/');
  await expect(message(bob, 'for the real Bob only')).toHaveAttribute('data-direction', 'in', { timeout: 60_000 });
  await expect(message(alice, 'for the real Bob only')).toHaveAttribute('data-delivered', 'true');
  await send(bob, 'still me');
  await expect(message(alice, 'still me')).toHaveAttribute('data-direction', 'in');
  await expect(thief.page.getByTestId('message-item')).toHaveCount(0);
});

test('attack: a page elsewhere sends Bob’s tab to Alice’s invite; nothing reaches Alice or the relay until Bob clicks Connect, and the invite leaves the URL and the history', async ({
  browser,
}) => {
  const { alice, bob, link, room: inviteRoom, out, url, alices } = await aliceInvitesOnRecord(browser, 'drive-by');
  expect(alices.size).toBe(1);

  // Another site (another origin) whose script sends the tab to the invite link.
  elsewhere = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>cute cats</title><script>location.href = ${JSON.stringify(link)};</script>`);
  });
  await new Promise<void>((resolve) => elsewhere!.listen(0, '127.0.0.1', resolve));
  const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`;
  const historyBefore = await bob.page.evaluate(() => history.length);
  await bob.page.goto(other);

  // Bob is asked, with the name from the link marked as not verified.
  await expect(bob.page.getByTestId('invite-confirm-name')).toHaveText('Alice');
  await expect(bob.page.getByTestId('invite-confirm-unverified')).toBeVisible();
  await expect(bob.page.getByTestId('invite-confirm')).toBeVisible();
  await expect(bob.page.getByTestId('invite-cancel')).toBeVisible();

  // The invite has left the URL and this tab's history: Parley replaced the entry it arrived in.
  expect(bob.page.url()).toBe(`${url}/`);
  // One entry was added (the other site's, which the invite and then Parley replaced), and it
  // holds Parley's plain URL; the stash that carried the invite across is empty again.
  expect(await bob.page.evaluate(() => history.length)).toBe(historyBefore + 1);
  expect(await bob.page.evaluate(() => sessionStorage.getItem('parley.invite'))).toBeNull();

  // Observation window: the old code dialed as soon as the page had started (within about a
  // second of the question showing); nothing of the invite reaches the relay, Alice sees nothing.
  await bob.page.waitForTimeout(3_000);
  expect(await inviteRoomSockets(out, inviteRoom)).toEqual(alices);
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(0);
  await expect(bob.page.getByTestId('contact-item')).toHaveCount(0);

  // Connect: now they pair, and chat.
  await bob.page.getByTestId('invite-confirm').click();
  await expect(bob.page.getByTestId('invite-confirm')).toHaveCount(0);
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  expect((await inviteRoomSockets(out, inviteRoom)).size).toBe(2); // control: Bob's dial shows
  await send(bob, 'glad I was asked first');
  await expect(message(alice, 'glad I was asked first')).toHaveAttribute('data-direction', 'in');
  await send(alice, 'welcome');
  await expect(message(bob, 'welcome')).toHaveAttribute('data-direction', 'in');
});

test('Cancel forgets an opened invite: nothing is sent, and the inviter sees nobody', async ({ browser }) => {
  const { alice, bob, link, room, out, alices } = await aliceInvitesOnRecord(browser, 'cancel');
  await bob.page.goto(link);
  await bob.page.getByTestId('invite-cancel').click();
  await expect(bob.page.getByTestId('invite-confirm')).toHaveCount(0);
  await bob.page.reload(); // the stash was read once: the invite does not come back
  await expect(bob.page.getByTestId('invite-create')).toBeVisible();
  await expect(bob.page.getByTestId('invite-confirm')).toHaveCount(0);
  expect(await inviteRoomSockets(out, room)).toEqual(alices);
  await expect(alice.page.getByTestId('contact-item')).toHaveCount(0);
});

/**
 * Day rooms are not linkable by connection (issue 11 item 8; docs/protocol-app.md §3.5): two
 * contacts meet across a simulated UTC midnight — at 23:52 (both days' rooms), while A waits
 * alone and the relay cuts every connection (each socket reconnects and re-subscribes), at 00:05
 * (both days again) and at 00:20 (the new day only) — served by the recording relay, which keeps
 * which of its connections joined which room. From that record: no relay connection ever joined
 * rooms of two different days of the contact (session rooms and both reset rooms, every day
 * around the test), and the invite's room was never joined by a connection that joined a day room.
 * The clocks are faked with `clock.setFixedTime` (Date.now only: timers and WebRTC run as usual).
 */
import { test, expect, type Page } from '@playwright/test';
import { makeInvite, expectConnected, send, message, person, type Person, openInviteLink } from './support/app';
import { readStore, sessionRows } from './support/session';
import { daysPerSocket, readSubscriptions } from '../test/support/recording-relay';
import { recordingRelayFixture } from './support/recording';
import { dayOf, roomId } from '../src/core/rendezvous';
import { parseInvite } from '../src/core/invite';
import { resetDaySecret, sessionDaySecret } from '../src/net/session-derive';
import { E2E_PORT } from '../playwright.config';

const DAY_MS = 86_400_000;
const MIN = 60_000;
const fx = recordingRelayFixture();
const people = fx.people;

test('across midnight, and after the relay cuts every connection, no relay connection joins rooms of two days of a contact', async ({
  browser,
}) => {
  const relay = await fx.start(E2E_PORT + 8, 'day-rooms');
  const alice = await person(browser, 'Alice', { baseURL: relay.url });
  const bob = await person(browser, 'Bob', { baseURL: relay.url });
  people.push(alice, bob);
  const link = await makeInvite(alice);
  const invite = parseInvite(link, Date.now());
  if (!invite.ok) throw new Error(`the app made an invite it cannot read: ${invite.message}`);
  await openInviteLink(bob, link);
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  const roomKeys = new Set<string>();
  const noteSessions = async () => {
    for (const r of await sessionRows(alice.page))
      if (r.session) roomKeys.add(Buffer.from(r.session.roomKey).toString('hex'));
  };
  await noteSessions();

  // 23:52 on day P (the day after today, so that time only moves forward): B comes back, and both
  // meet in the rooms of day P and day P + 1.
  const P = dayOf(Date.now()) + 1;
  const midnight = (P + 1) * DAY_MS;
  const setClocks = (t: number) => Promise.all([alice, bob].map((p) => p.context.clock.setFixedTime(t)));
  await setClocks(midnight - 8 * MIN);
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  await noteSessions();

  // B goes away; A waits in both days' rooms; the relay cuts every connection meanwhile, and A's
  // sockets reconnect and join their rooms again.
  const rooms = await dayRooms(alice, bob, roomKeys, P);
  const joinedSince = (from: number, day: number) =>
    readSubscriptions(relay.subs)
      .slice(from)
      .some((s) => rooms.get(s.room) === day);
  const beforeLeaving = readSubscriptions(relay.subs).length;
  await bob.page.close();
  await expect.poll(() => joinedSince(beforeLeaving, P) && joinedSince(beforeLeaving, P + 1)).toBe(true);
  const beforeCut = readSubscriptions(relay.subs).length;
  expect(await relay.drop()).toBeGreaterThanOrEqual(2);
  await expect.poll(() => joinedSince(beforeCut, P) && joinedSince(beforeCut, P + 1)).toBe(true);

  // 00:05 on day P + 1: still inside the ±10 minute window, both days' rooms again.
  await setClocks(midnight + 5 * MIN);
  bob.page = await bob.context.newPage();
  await bob.page.goto('/');
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  await noteSessions();

  // 00:20: the new day only.
  await setClocks(midnight + 20 * MIN);
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  await send(bob, 'a new day');
  await expect(message(alice, 'a new day')).toBeVisible();
  await noteSessions();

  // What the relay kept: the days of the contact's rooms each of its connections joined.
  const all = await dayRooms(alice, bob, roomKeys, P);
  const subs = readSubscriptions(relay.subs);
  const perSocket = daysPerSocket(subs, all);
  const twoDays = [...perSocket].filter(([, days]) => days.size > 1).map(([s, days]) => `${s}: ${[...days]}`);
  expect(twoDays).toEqual([]);
  // The check had something to catch: both days' rooms were joined, and joined again after the cut.
  expect([...perSocket.values()].flatMap((d) => [...d])).toEqual(expect.arrayContaining([P, P + 1]));
  expect(daysPerSocket(subs.slice(beforeCut), all).size).toBeGreaterThanOrEqual(2);
  // The invite's room (not day-bound) went on sockets that never joined a day room.
  const inviteRoom = roomId(invite.invite.rendezvousSecret);
  const inviteSockets = subs.filter((s) => s.room === inviteRoom).map((s) => s.socket);
  expect(inviteSockets.length).toBeGreaterThanOrEqual(2); // inviter and invitee
  for (const s of inviteSockets) expect(perSocket.has(s)).toBe(false);
});

/**
 * Every day-derived room of the pair for the days around `P`, mapped to its day: the session
 * rooms of each session seen, and both sides' reset rooms (docs/session.md §4).
 */
async function dayRooms(alice: Person, bob: Person, roomKeys: Set<string>, P: number): Promise<Map<string, number>> {
  const keyOf = async (page: Page) => {
    const [c] = await readStore<{ contactSecret: Record<number, number>; publicKey: Record<number, number> }>(
      page,
      'contacts',
    );
    if (!c) throw new Error('no contact stored yet');
    return {
      secret: Uint8Array.from(Object.values(c.contactSecret)),
      peer: Uint8Array.from(Object.values(c.publicKey)),
    };
  };
  const [a, b] = [await keyOf(alice.page), await keyOf(bob.page)];
  const out = new Map<string, number>();
  for (let d = P - 3; d <= P + 3; d++) {
    for (const k of roomKeys) out.set(roomId(sessionDaySecret(Uint8Array.from(Buffer.from(k, 'hex')), d)), d);
    out.set(roomId(resetDaySecret(a.secret, a.peer, d)), d); // Bob's reset room for Alice
    out.set(roomId(resetDaySecret(b.secret, b.peer, d)), d); // Alice's reset room for Bob
  }
  return out;
}

/**
 * Contacts that last (issue 5; docs/session.md): A and B pair and chat (inside the Double
 * Ratchet), B closes its page, A writes three messages, and B comes back the next UTC day — both
 * clocks moved past midnight — meets A in the new day's session room and receives all three in
 * order, exactly once, and A sees them delivered. Served by the recording relay
 * (test/support/recording-relay.ts), so the test also checks what the relay saw: the room id of
 * the day before and the one after, both derived from the session (not the pairing), differ.
 */
import { test, expect, type Browser } from '@playwright/test';
import { makeInvite, expectConnected, send, message, person, type Person, openInviteLink } from './support/app';
import { clearSessions, readStore, sessionRows } from './support/session';
import { readRecording } from '../test/support/recording-relay';
import { recordingRelayFixture } from './support/recording';
import { contactRendezvousSecret, dayOf, roomId } from '../src/core/rendezvous';
import { resetDaySecret, sessionDaySecret } from '../src/net/session-derive';
import { E2E_PORT } from '../playwright.config';

const DAY_MS = 86_400_000;
const fx = recordingRelayFixture();
const people = fx.people;

/** Alice and Bob on the recording relay, paired through an invite and connected. */
async function paired(browser: Browser, tag: string) {
  const relay = await fx.start(E2E_PORT + 2, tag);
  const alice = await person(browser, 'Alice', { baseURL: relay.url });
  const bob = await person(browser, 'Bob', { baseURL: relay.url });
  people.push(alice, bob);
  await openInviteLink(bob, await makeInvite(alice));
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  return { relay, alice, bob };
}

test('B comes back the next day: three messages written while it was away arrive once, in order, delivered — in a new room', async ({
  browser,
}) => {
  // Pair and chat.
  const { relay, alice, bob } = await paired(browser, 'contacts-last');
  const out = relay.out;
  await send(alice, 'see you tomorrow');
  await expect(message(bob, 'see you tomorrow')).toHaveAttribute('data-direction', 'in');
  await send(bob, 'tomorrow then');
  await expect(message(alice, 'tomorrow then')).toHaveAttribute('data-direction', 'in');
  await expect(message(bob, 'tomorrow then')).toHaveAttribute('data-delivered', 'true');

  // Both hold the same session; today's contact room derives from it.
  const [aRows, bRows] = await Promise.all([sessionRows(alice.page), sessionRows(bob.page)]);
  expect(aRows).toHaveLength(1);
  const session = aRows[0]!.session!;
  expect(bRows[0]!.session!.id).toBe(session.id);
  const today = dayOf(Date.now());
  const roomToday = roomId(sessionDaySecret(session.roomKey, today));
  const roomTomorrow = roomId(sessionDaySecret(session.roomKey, today + 1));

  // A reconnection today happens in today's session room.
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  await send(bob, 'still today');
  await expect(message(alice, 'still today')).toBeVisible();
  const beforeMidnight = readRecording(out).map((f) => f.room);
  expect(beforeMidnight).toContain(roomToday);

  // B goes away; A writes three messages.
  await bob.page.close();
  await expect(alice.page.getByTestId('connection-status')).toContainText('waiting for Bob');
  const away = ['first while you slept', 'second while you slept', 'third while you slept'];
  for (const t of away) await send(alice, t);
  for (const t of away) await expect(message(alice, t)).toHaveAttribute('data-delivered', 'false');
  const framesBefore = readRecording(out).length;

  // The next UTC day, 01:00 (clear of the ±10 min window around midnight), on both sides.
  const tomorrow = (today + 1) * DAY_MS + 3_600_000;
  await alice.page.clock.setFixedTime(tomorrow);
  await bob.context.clock.setFixedTime(tomorrow);
  bob.page = await bob.context.newPage();
  await bob.page.goto('/');
  await expectConnected(bob, 'Alice');

  // All three, in order, each once; A sees them delivered.
  for (const t of away) await expect(message(bob, t)).toHaveCount(1);
  const texts = await bob.page.getByTestId('message-item').allInnerTexts();
  const at = away.map((t) => texts.findIndex((x) => x.includes(t)));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((x, y) => x - y)).toEqual(at);
  for (const t of away) await expect(message(alice, t)).toHaveAttribute('data-delivered', 'true');
  await expect(bob.page.getByTestId('message-item')).toHaveCount(3 + away.length);

  // The relay saw the day's room change: tomorrow's session room only after midnight, and it is
  // neither today's nor the pairing-derived daily room of the old scheme.
  const after = readRecording(out)
    .slice(framesBefore)
    .map((f) => f.room);
  expect(roomTomorrow).not.toBe(roomToday);
  expect(after).toContain(roomTomorrow);
  expect(beforeMidnight).not.toContain(roomTomorrow);
  const contactSecretRooms = await pairingRooms(alice, today);
  for (const r of contactSecretRooms) expect([...beforeMidnight, ...after]).not.toContain(r);
});

test("B loses its session (state cleared): it meets A in A's reset room, a new kx runs, and chat continues both ways", async ({
  browser,
}) => {
  const { relay, alice, bob } = await paired(browser, 'contacts-reset');
  await send(alice, 'before the loss');
  await expect(message(bob, 'before the loss')).toBeVisible();
  const old = (await sessionRows(alice.page))[0]!.session!.id;

  // B's session row is gone (as after clearing that part of the site data); its identity,
  // contacts and history stay. It can no longer find the session rooms.
  await clearSessions(bob.page);
  const framesBefore = readRecording(relay.out).length;
  await bob.page.reload();
  await expectConnected(bob, 'Alice');
  await expectConnected(alice, 'Bob');
  await chatBothWays(alice, bob, 'after the reset', 'still here');
  await expect(message(bob, 'still here')).toHaveAttribute('data-delivered', 'true');
  await expect(message(bob, 'before the loss')).toHaveCount(1);

  const [a, b] = [(await sessionRows(alice.page))[0]!.session!, (await sessionRows(bob.page))[0]!.session!];
  expect(a.id).toBe(b.id);
  expect(a.id).not.toBe(old);
  // They met in A's reset room of today (derived from the pairing's contact secret and A's key).
  const [contact] = await readStore<{ contactSecret: Record<number, number>; publicKey: Record<number, number> }>(
    bob.page,
    'contacts',
  );
  const resetRoom = roomId(
    resetDaySecret(
      Uint8Array.from(Object.values(contact!.contactSecret)),
      Uint8Array.from(Object.values(contact!.publicKey)),
      dayOf(Date.now()),
    ),
  );
  expect(
    readRecording(relay.out)
      .slice(framesBefore)
      .map((f) => f.room),
  ).toContain(resetRoom);
});

test('both lose their sessions (as after the upgrade to database version 2): they meet in a reset room and chat again', async ({
  browser,
}) => {
  const { alice, bob } = await paired(browser, 'contacts-both');
  await send(bob, 'before');
  await expect(message(alice, 'before')).toBeVisible();
  await Promise.all([clearSessions(alice.page), clearSessions(bob.page)]);
  await Promise.all([alice.page.reload(), bob.page.reload()]);
  await expectConnected(alice, 'Bob');
  await expectConnected(bob, 'Alice');
  await chatBothWays(alice, bob, 'after both lost it', 'and back');
  const [a, b] = [(await sessionRows(alice.page))[0]!.session!, (await sessionRows(bob.page))[0]!.session!];
  expect(a.id).toBe(b.id);
});

/** A writes `a`, B sees it once; B writes `b`, A sees it come in. */
async function chatBothWays(alice: Person, bob: Person, a: string, b: string): Promise<void> {
  await send(alice, a);
  await expect(message(bob, a)).toHaveCount(1);
  await send(bob, b);
  await expect(message(alice, b)).toHaveAttribute('data-direction', 'in');
}

/** The rooms the pairing-derived daily rendezvous of the old scheme would use (must not appear). */
async function pairingRooms(p: Person, today: number): Promise<string[]> {
  const contacts = await readStore<{ contactSecret: Record<number, number> }>(p.page, 'contacts');
  return contacts.flatMap((c) =>
    [today, today + 1].map((d) => roomId(contactRendezvousSecret(Uint8Array.from(Object.values(c.contactSecret)), d))),
  );
}

/**
 * One relay socket per UTC day (docs/protocol-app.md §3.5; src/net/day-sockets.ts), against the
 * real relay, which records which of its connections joined which room (what a curious operator
 * keeps). Two contacts' meeting attempts run across a simulated midnight, and every connection is
 * cut twice on the way: no relay connection ever joins rooms of two different days, and the
 * invite socket never joins a day room. A control runs the same attempts over one shared socket
 * (how the app worked before) and the same check catches it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DaySockets } from '../../src/net/day-sockets';
import { SignalingClient, type WebSocketConstructor } from '../../src/net/signaling';
import { roomId } from '../../src/core/rendezvous';
import { startTestRelay, type TestRelay } from '../support/relay';
import { daysPerSocket } from '../support/recording-relay';

const WS = WebSocket as unknown as WebSocketConstructor;
const DAY_MS = 86_400_000;
const MIN = 60_000;
const D = 20_000; // a UTC day number; midnight is between D and D + 1
const at = (day: number, minutes: number) => day * DAY_MS + minutes * MIN;

/** A contact's room on `day` (stands for its session and reset rooms, which are per day too). */
const dayRoom = (contact: string, day: number) => roomId(sha256(utf8ToBytes(`${contact}/${day}`)));
const inviteRoom = roomId(sha256(utf8ToBytes('an invite')));

let relay: TestRelay | null = null;
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) c();
  await relay?.close();
  relay = null;
});

/** The relay, recording every join: room → socket ids, socket id → rooms. */
async function recordingRelay() {
  const joins: { room: string; socket: string }[] = [];
  relay = await startTestRelay({ onSubscribe: (room, socket) => joins.push({ room, socket }) });
  return { relay, joins };
}

function pool(
  url: string,
  now: () => number,
  extra: { inviteIdleMs?: number; minBackoffMs?: number } = {},
): DaySockets {
  const { minBackoffMs = 20, ...rest } = extra;
  const signaling = { WebSocket: WS, minBackoffMs, maxBackoffMs: Math.max(200, minBackoffMs) };
  const p = new DaySockets(url, { now, signaling, ...rest });
  closers.push(() => p.close());
  return p;
}

/** The days of contact rooms each relay connection joined (contacts X and Y, days around D). */
function perSocketDays(joins: readonly { room: string; socket: string }[]): Map<string, Set<number>> {
  const dayOfRoom = new Map<string, number>();
  for (const c of ['X', 'Y']) for (let d = D - 1; d <= D + 2; d++) dayOfRoom.set(dayRoom(c, d), d);
  return daysPerSocket(joins, dayOfRoom);
}

/** Two contacts' meeting attempts around midnight, each connection cut twice, as `socketFor` places rooms. */
async function midnight(
  r: { relay: TestRelay; joins: { room: string; socket: string }[] },
  clock: { t: number },
  socketFor: (days: number[]) => { forDay(day: number): SignalingClient; release(): void },
  invites: () => SignalingClient,
): Promise<void> {
  const attempt = (days: number[]) => {
    const lease = socketFor(days);
    const rooms = days.flatMap((d) => ['X', 'Y'].map((c) => [lease.forDay(d), dayRoom(c, d)] as const));
    for (const [s, room] of rooms) s.subscribe(room);
    return () => {
      for (const [s, room] of rooms) s.unsubscribe(room);
      lease.release();
    };
  };
  const joined = async (n: number) => {
    const target = r.joins.length + n;
    await expect.poll(() => r.joins.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(target);
  };
  // Every connection at once: each reconnects and re-subscribes its rooms (4 day rooms + the invite's).
  const cut = async () => {
    const wait = joined(5);
    r.relay.dropAll();
    await wait;
  };
  invites().subscribe(inviteRoom); // an invite listened for across midnight
  await joined(1);
  clock.t = at(D, 24 * 60 - 8); // 23:52
  let end = attempt([D, D + 1]);
  await joined(4);
  await cut();
  end();
  clock.t = at(D + 1, 5); // 00:05 the next day: still inside the window
  end = attempt([D, D + 1]);
  await joined(4);
  await cut();
  end();
  clock.t = at(D + 1, 20); // 00:20: only the new day
  end = attempt([D + 1]);
  await joined(2);
  end();
}

describe('DaySockets: the relay cannot chain a contact’s rooms across days by connection', () => {
  it('across midnight, with every connection cut twice, no relay connection joins rooms of two days; invite rooms stay on a socket of their own', async () => {
    const r = await recordingRelay();
    const clock = { t: at(D, 12 * 60) };
    const p = pool(r.relay.url, () => clock.t);
    await midnight(
      r,
      clock,
      (days) => p.lease(days),
      () => p.invites!,
    );

    const perSocket = perSocketDays(r.joins);
    for (const [socket, days] of perSocket) expect([socket, [...days]]).toEqual([socket, [...days].slice(0, 1)]);
    // Both days' rooms were joined, on several connections: the attack had something to link.
    const days = new Set([...perSocket.values()].flatMap((s) => [...s]));
    expect([...days].sort()).toEqual([D, D + 1]);
    expect(perSocket.size).toBeGreaterThanOrEqual(6); // two days × (first connection + two reconnects)
    // The invite's room was joined again after each cut, never by a socket in a day's room.
    const inviteSockets = new Set(r.joins.filter((j) => j.room === inviteRoom).map((j) => j.socket));
    expect(inviteSockets.size).toBe(3);
    for (const s of inviteSockets) expect(perSocket.has(s)).toBe(false);
    // Yesterday's socket closed once the window passed; today's stays.
    expect(p.days).toEqual([D + 1]);
  });

  it('control: over one shared socket (the old design) the same check finds a connection in two days’ rooms', async () => {
    const r = await recordingRelay();
    const clock = { t: at(D, 12 * 60) };
    const shared = new SignalingClient(r.relay.url, { WebSocket: WS, minBackoffMs: 20, maxBackoffMs: 200 });
    closers.push(() => shared.close());
    await midnight(
      r,
      clock,
      () => ({ forDay: () => shared, release: () => {} }),
      () => shared,
    );
    const linked = [...perSocketDays(r.joins).values()].filter((days) => days.size > 1);
    expect(linked.length).toBeGreaterThanOrEqual(1);
  });
});

describe('DaySockets lifecycle', () => {
  it("keeps today's socket; opens another day's for the attempt that needs it, and closes it once released and out of the window", async () => {
    const r = await recordingRelay();
    const clock = { t: at(D, 24 * 60 - 8) };
    const p = pool(r.relay.url, () => clock.t);
    expect(p.days).toEqual([D]);
    await expect.poll(() => p.status).toBe('open');

    const lease = p.lease([D, D + 1, D]);
    expect(p.days).toEqual([D, D + 1]);
    const [today, tomorrow] = [lease.forDay(D), lease.forDay(D + 1)];
    expect(today).not.toBe(tomorrow);
    expect(() => lease.forDay(D + 2)).toThrow(/day 20002 is not leased/);
    // A second attempt the same day gets the same sockets.
    const again = p.lease([D + 1]);
    expect(again.forDay(D + 1)).toBe(tomorrow);

    clock.t = at(D + 1, 20);
    p.sweep();
    expect(p.days).toEqual([D, D + 1]); // still held
    lease.release();
    expect(p.days).toEqual([D + 1]);
    expect(today.status).toBe('closed');
    expect(tomorrow.status).not.toBe('closed');
    again.release();
    again.release(); // idempotent
    expect(p.days).toEqual([D + 1]); // today's is kept without any lease

    // The clock jumps (a corrected system clock): the sweep opens the new today's socket.
    clock.t = at(D + 3, 60);
    p.sweep();
    expect(p.days).toEqual([D + 3]);
    expect(tomorrow.status).toBe('closed');
    expect(() => p.lease([])).toThrow(RangeError);
    expect(() => p.lease([-1])).toThrow(/UTC day numbers/);
  });

  it('the invite socket opens on first use, is none of the day sockets, and closes after its idle time without a room', async () => {
    const r = await recordingRelay();
    const clock = { t: at(D, 600) };
    const p = pool(r.relay.url, () => clock.t, { inviteIdleMs: 150 });
    expect(p.hasInviteSocket).toBe(false);
    const inv = p.invites!;
    expect(inv).not.toBe(p.lease([D]).forDay(D));
    inv.subscribe(inviteRoom);
    await new Promise((res) => setTimeout(res, 400));
    expect(p.hasInviteSocket).toBe(true); // in a room: kept
    inv.unsubscribe(inviteRoom);
    await expect.poll(() => p.hasInviteSocket).toBe(false);
    expect(inv.status).toBe('closed');
    expect(p.invites).not.toBe(inv); // a fresh one on the next use
  });

  it('status: open while any socket is open; retrying with the earliest retry when the relay is gone, even beside a fresh socket; closed after close()', async () => {
    const r = await recordingRelay();
    const clock = { t: at(D, 24 * 60 - 5) };
    // Retries 2.5–5 s apart: the sockets stay 'retrying' while the test looks.
    const p = pool(r.relay.url, () => clock.t, { minBackoffMs: 5_000 });
    const seen: string[] = [];
    p.onStatus((s) => seen.push(s));
    const lease = p.lease([D, D + 1]);
    await expect.poll(() => p.status).toBe('open');
    await r.relay.close();
    relay = null;
    await expect.poll(() => [lease.forDay(D).status, lease.forDay(D + 1).status]).toEqual(['retrying', 'retrying']);
    expect(p.status).toBe('retrying');
    expect(p.nextRetryAt).toBe(Math.min(lease.forDay(D).nextRetryAt!, lease.forDay(D + 1).nextRetryAt!));
    // A socket opened now (the next day's, say) is 'connecting': the relay is still shown as down.
    const fresh = p.lease([D + 2]).forDay(D + 2);
    expect(fresh.status).toBe('connecting');
    expect(p.status).toBe('retrying');
    p.close();
    expect(p.status).toBe('closed');
    expect(p.nextRetryAt).toBeNull();
    expect(seen.at(-1)).toBe('closed');
    expect(p.invites).toBeNull();
    expect(() => p.lease([D])).toThrow(/closed/);
  });
});

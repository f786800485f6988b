import { describe, expect, it } from 'vitest';
import {
  IceConfigSource,
  MAX_ICE_SERVERS,
  MIN_RENEW_MS,
  RETRY_MAX_MS,
  RETRY_MIN_MS,
  hasTurn,
  isStale,
  parseIceConfig,
  renewAt,
  type IceConfig,
} from '../../src/app/ice-config';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 5, 12);

/** A clock and timers the test moves by hand. */
class FakeClock {
  t = T0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  get pending(): number[] {
    return this.timers.map((t) => t.at);
  }
  /** Moves the clock, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      await flush();
    }
    this.t = end;
  }
}
const flush = () => new Promise((r) => setTimeout(r, 0));

/** The server of docs/relay.md: TURN credentials valid `ttlMs` from its own clock (`skewMs` off ours). */
function fakeServer(clock: FakeClock, o: { ttlMs: number; skewMs?: number; policy?: 'all' | 'relay' }) {
  let n = 0;
  const state = { fail: false, calls: 0 };
  const load = async () => {
    state.calls++;
    if (state.fail) return null;
    const serverNow = clock.now() + (o.skewMs ?? 0);
    const expiresAt = Math.floor((serverNow + o.ttlMs) / 1000) * 1000;
    n++;
    return {
      body: {
        iceServers: [
          { urls: ['stun:127.0.0.1:3478'] },
          { urls: ['turn:127.0.0.1:3478'], username: `${expiresAt / 1000}:id${n}`, credential: `c${n}` },
        ],
        iceTransportPolicy: o.policy ?? 'all',
        expiresAt,
      },
      serverDate: Math.floor(serverNow / 1000) * 1000, // HTTP dates have whole seconds
    };
  };
  return { load, state };
}

function source(clock: FakeClock, load: () => Promise<{ body: unknown; serverDate: number | null } | null>) {
  const seen: IceConfig[] = [];
  const s = new IceConfigSource({
    load,
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    onChange: (c) => seen.push(c),
  });
  return { s, seen };
}

const username = (c: IceConfig) => c.iceServers.find((x) => x.username)?.username;

describe('parseIceConfig', () => {
  it('reads servers, the policy and the expiry from the body the relay serves', () => {
    const c = parseIceConfig(
      {
        iceServers: [{ urls: 'stun:a:1' }, { urls: ['turn:b:2', 'turns:b:5349'], username: 'u', credential: 'p' }],
        iceTransportPolicy: 'relay',
        expiresAt: T0 + 6 * HOUR,
      },
      T0,
      T0,
    );
    expect(c.iceServers).toEqual([
      { urls: ['stun:a:1'] },
      { urls: ['turn:b:2', 'turns:b:5349'], username: 'u', credential: 'p' },
    ]);
    expect(c.iceTransportPolicy).toBe('relay');
    expect(c.expiresAt).toBe(T0 + 6 * HOUR);
    expect(hasTurn(c)).toBe(true);
  });

  it('keeps the static ICE_SERVERS form: no policy, no expiry', () => {
    const c = parseIceConfig({ iceServers: [{ urls: 'stun:a:1' }] }, T0);
    expect(c).toEqual({
      iceServers: [{ urls: ['stun:a:1'] }],
      iceTransportPolicy: 'all',
      expiresAt: null,
      fetchedAt: T0,
    });
    expect(hasTurn(c)).toBe(false);
    expect(renewAt(c)).toBeNull();
    expect(isStale(c, T0 + 1000 * HOUR)).toBe(false);
  });

  it('moves the expiry onto our clock when the server clock differs (Date header)', () => {
    // Our clock is 2 h behind the server: its expiresAt is 6 h after *its* now.
    const c = parseIceConfig({ iceServers: [], expiresAt: T0 + 2 * HOUR + 6 * HOUR }, T0, T0 + 2 * HOUR);
    expect(c.expiresAt).toBe(T0 + 6 * HOUR);
    expect(renewAt(c)).toBe(T0 + 0.8 * 6 * HOUR);
  });

  it('drops what is not an ICE server and bounds the rest', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ urls: `stun:h${i}:1` }));
    expect(parseIceConfig({ iceServers: many }, T0).iceServers).toHaveLength(MAX_ICE_SERVERS);
    const c = parseIceConfig(
      {
        iceServers: [
          null,
          'stun:x',
          { urls: 'http://evil/' },
          { urls: ['turn:ok:1', 42, 'x'.repeat(600)], username: 'x'.repeat(600), credential: 7 },
        ],
        iceTransportPolicy: 'everything',
        expiresAt: 'soon',
      },
      T0,
    );
    expect(c.iceServers).toEqual([{ urls: ['turn:ok:1'] }]);
    expect(c.iceTransportPolicy).toBe('all');
    expect(c.expiresAt).toBeNull();
    for (const bad of [null, 'x', 42, []]) expect(parseIceConfig(bad, T0).iceServers).toEqual([]);
  });

  it('renews at 80 % of the lifetime, but never sooner than 10 s after a fetch', () => {
    expect(renewAt(parseIceConfig({ iceServers: [], expiresAt: T0 + 100_000 }, T0, T0))).toBe(T0 + 80_000);
    // Already expired on arrival (or a tiny TTL): not a fetch loop.
    expect(renewAt(parseIceConfig({ iceServers: [], expiresAt: T0 - HOUR }, T0, T0))).toBe(T0 + MIN_RENEW_MS);
  });
});

describe('IceConfigSource', () => {
  it('renews by timer before the credentials expire, again and again, for a page open for days', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: 6 * HOUR });
    const { s, seen } = source(clock, server.load);
    await s.load();
    const first = username(s.current);
    expect(clock.pending).toEqual([T0 + 0.8 * 6 * HOUR]);
    for (let day = 0; day < 3 * 24; day += 1) {
      await clock.advance(HOUR);
      // Whatever time it is, the credentials in hand are valid for at least a fifth of their life.
      expect(s.current.expiresAt! - clock.now()).toBeGreaterThanOrEqual(0.2 * 6 * HOUR - 1000);
    }
    expect(username(s.current)).not.toBe(first);
    expect(seen.length).toBe(1 + Math.floor((3 * 24) / 4.8));
    expect(server.state.calls).toBe(seen.length);
  });

  it('renews before a new link when the timer was late (laptop asleep, background tab)', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: 6 * HOUR });
    const { s } = source(clock, server.load);
    await s.load();
    const before = username(s.current);
    clock.t += 10 * HOUR; // the clock jumped; no timer has fired yet
    expect(isStale(s.current, clock.now())).toBe(true);
    const c = await s.fresh();
    expect(username(c)).not.toBe(before);
    expect(c.expiresAt).toBe(Math.floor((clock.now() + 6 * HOUR) / 1000) * 1000);
    // A fresh config is handed out as it is, without another fetch.
    const calls = server.state.calls;
    expect(await s.fresh()).toBe(c);
    expect(server.state.calls).toBe(calls);
  });

  it('fetches once for many links asking at the same moment', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: HOUR });
    const { s } = source(clock, server.load);
    await s.load();
    clock.t += HOUR;
    const all = await Promise.all([s.fresh(), s.fresh(), s.fresh()]);
    expect(new Set(all).size).toBe(1);
    expect(server.state.calls).toBe(2);
  });

  it('keeps the old config when a renewal fails and retries after 10 s, doubling to 5 min', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: HOUR });
    const { s } = source(clock, server.load);
    await s.load();
    const kept = s.current;
    server.state.fail = true;
    await clock.advance(0.8 * HOUR);
    expect(s.current).toBe(kept);
    const gaps: number[] = [];
    let last = clock.now();
    for (let i = 0; i < 8; i++) {
      const [at] = clock.pending;
      gaps.push(at! - last);
      last = at!;
      await clock.advance(at! - clock.now());
    }
    expect(gaps).toEqual([
      RETRY_MIN_MS,
      2 * RETRY_MIN_MS,
      4 * RETRY_MIN_MS,
      8 * RETRY_MIN_MS,
      16 * RETRY_MIN_MS,
      RETRY_MAX_MS,
      RETRY_MAX_MS,
      RETRY_MAX_MS,
    ]);
    // While a retry is pending, new links go ahead with what there is (no fetch per link).
    const calls = server.state.calls;
    expect(await s.fresh()).toBe(kept);
    expect(server.state.calls).toBe(calls);
    // The server is back: the next retry brings fresh credentials and the backoff starts over.
    server.state.fail = false;
    await clock.advance(clock.pending[0]! - clock.now());
    expect(username(s.current)).not.toBe(username(kept));
    expect(clock.pending).toEqual([clock.now() + 0.8 * HOUR]);
  });

  it('retries a first load that failed (the app still starts, with no servers)', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: HOUR, policy: 'relay' });
    server.state.fail = true;
    const { s } = source(clock, server.load);
    const c = await s.load();
    expect(c.iceServers).toEqual([]);
    server.state.fail = false;
    await clock.advance(RETRY_MIN_MS);
    expect(s.current.iceTransportPolicy).toBe('relay');
    expect(hasTurn(s.current)).toBe(true);
  });

  it('a static config (no expiry) is fetched once and never renewed', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const { s } = source(clock, async () => {
      calls++;
      return { body: { iceServers: [{ urls: 'stun:a:1' }] }, serverDate: null };
    });
    await s.load();
    await clock.advance(100 * HOUR);
    await s.fresh();
    expect(calls).toBe(1);
    expect(clock.pending).toEqual([]);
  });

  it('stop() cancels the renewal timer', async () => {
    const clock = new FakeClock();
    const server = fakeServer(clock, { ttlMs: HOUR });
    const { s } = source(clock, server.load);
    await s.load();
    s.stop();
    expect(clock.pending).toEqual([]);
    await clock.advance(10 * HOUR);
    expect(server.state.calls).toBe(1);
  });

  it('renews on time whatever our clock says, when the server sends its Date', async () => {
    for (const skewMs of [-3 * HOUR, 5 * HOUR]) {
      const clock = new FakeClock();
      const server = fakeServer(clock, { ttlMs: 6 * HOUR, skewMs });
      const { s } = source(clock, server.load);
      await s.load();
      expect(clock.pending[0]! - clock.now()).toBeGreaterThan(0.8 * 6 * HOUR - 2000);
      expect(clock.pending[0]! - clock.now()).toBeLessThanOrEqual(0.8 * 6 * HOUR);
    }
  });
});

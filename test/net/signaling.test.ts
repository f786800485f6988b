import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  SignalingClient,
  backoffDelay,
  fromBase64url,
  parseRelayMessage,
  reconnectDelay,
  toBase64url,
  type RoomEvent,
  type SignalingStatus,
  type WebSocketConstructor,
} from '../../src/net/signaling';
import { startTestRelay, type TestRelay } from '../support/relay';

const WS = WebSocket as unknown as WebSocketConstructor;
const room = (c: string) => c.repeat(43);

describe('backoffDelay', () => {
  it('grows exponentially from min, is capped at max, and jitters within [exp/2, exp]', () => {
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, min, extra, r) => {
          const max = min + extra;
          const exp = Math.min(max, min * 2 ** attempt);
          const d = backoffDelay(attempt, min, max, () => r);
          expect(d).toBeGreaterThanOrEqual(Math.floor(exp / 2));
          expect(d).toBeLessThanOrEqual(Math.ceil(exp));
          expect(d).toBeLessThanOrEqual(max);
        },
      ),
    );
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, 500, 4000, () => 1 - 1e-12))).toEqual([
      500, 1000, 2000, 4000, 4000,
    ]);
  });
  it('rejects nonsense options by name', () => {
    expect(() => backoffDelay(0, 0, 10, Math.random)).toThrow(/minMs/);
    expect(() => backoffDelay(0, 100, 10, Math.random)).toThrow(/maxMs/);
  });
});

describe('reconnectDelay', () => {
  it('comes back within a second after a draining relay said 1012, and backs off otherwise', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => {
        expect(reconnectDelay(0, 1012, 500, 30_000, () => r)).toBeLessThanOrEqual(1000);
        expect(reconnectDelay(0, 1006, 500, 30_000, () => r)).toBe(backoffDelay(0, 500, 30_000, () => r));
        expect(reconnectDelay(3, 1012, 500, 30_000, () => r)).toBe(backoffDelay(3, 500, 30_000, () => r));
      }),
    );
  });
});

describe('base64url', () => {
  it('round-trips any bytes, and decoding rejects non-canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const t = toBase64url(b);
        expect(t).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64url(t)).toEqual(b);
      }),
    );
    expect(fromBase64url('ab=')).toBeNull();
    expect(fromBase64url('a')).toBeNull();
    expect(fromBase64url('ab+c')).toBeNull();
    expect(fromBase64url('AB')).toBeNull(); // non-zero trailing bits: not canonical
  });
});

describe('parseRelayMessage', () => {
  it('accepts the protocol messages and nothing else', () => {
    const r = room('A');
    expect(parseRelayMessage(JSON.stringify({ type: 'subscribed', room: r, peers: 2 }))).toEqual({
      type: 'subscribed',
      room: r,
      peers: 2,
    });
    expect(parseRelayMessage(JSON.stringify({ type: 'message', room: r, data: 'AQID' }))).toEqual({
      type: 'message',
      room: r,
      data: new Uint8Array([1, 2, 3]),
    });
    expect(parseRelayMessage(JSON.stringify({ type: 'peer-left', room: r }))).toEqual({ type: 'peer-left', room: r });
    expect(parseRelayMessage('{"type":"pong"}')).toEqual({ type: 'pong' });
    for (const bad of [
      '',
      'null',
      '[]',
      '{"type":"message","room":"x","data":"AQID"}',
      `{"type":"message","room":"${r}","data":"A"}`,
      `{"type":"subscribed","room":"${r}","peers":-1}`,
      '{"type":"nope"}',
    ])
      expect(parseRelayMessage(bad)).toBeNull();
  });
  it('accepts protocol 2: welcome, mailbox replies, errors tied to a request', () => {
    const a = room('B');
    expect(
      parseRelayMessage(
        JSON.stringify({
          type: 'welcome',
          protocol: 2,
          features: ['mailbox', 7],
          mailbox: { maxBlobs: 256, maxBytes: 32768, sizes: [1024, 'x', 4096], ttlS: 604800 },
        }),
      ),
    ).toEqual({
      type: 'welcome',
      protocol: 2,
      features: ['mailbox'],
      mailbox: { maxBlobs: 256, maxBytes: 32768, sizes: [1024, 4096], ttlS: 604800 },
    });
    expect(parseRelayMessage(JSON.stringify({ type: 'welcome', protocol: 3, features: [] }))).toMatchObject({
      protocol: 3,
      mailbox: null,
    });
    expect(parseRelayMessage(JSON.stringify({ type: 'mailbox-stored', req: 'q1', address: a, id: '12' }))).toEqual({
      type: 'mailbox-stored',
      req: 'q1',
      address: a,
      id: '12',
    });
    const blobs = { type: 'mailbox-blobs', req: 'q2', address: a, blobs: [{ id: '1', data: 'AQID' }], more: true };
    expect(parseRelayMessage(JSON.stringify(blobs))).toEqual(blobs);
    expect(parseRelayMessage(JSON.stringify({ type: 'mailbox-acked', req: 'q3', address: a, deleted: 2 }))).toEqual({
      type: 'mailbox-acked',
      req: 'q3',
      address: a,
      deleted: 2,
    });
    expect(parseRelayMessage(JSON.stringify({ type: 'error', code: 'mailbox-full', message: 'm', req: 'q4' }))).toEqual(
      {
        type: 'error',
        code: 'mailbox-full',
        message: 'm',
        req: 'q4',
      },
    );
    for (const bad of [
      { type: 'welcome', protocol: 0 },
      { type: 'mailbox-stored', req: 'q1', address: a, id: '01' },
      { type: 'mailbox-stored', address: a, id: '1' },
      { type: 'mailbox-blobs', req: 'q', address: a, blobs: [{ id: 'x', data: 'AA' }], more: false },
      { type: 'mailbox-blobs', req: 'q', address: a, blobs: [], more: 'no' },
      { type: 'mailbox-acked', req: 'q', address: 'short', deleted: 1 },
      { type: 'mailbox-acked', req: 'q', address: a, deleted: -1 },
    ])
      expect(parseRelayMessage(JSON.stringify(bad))).toBeNull();
  });

  it('accepts a mailbox reply only with a valid req, address and ids (property)', () => {
    const a = room('C');
    fc.assert(
      fc.property(
        fc.record({
          type: fc.constantFrom('mailbox-stored', 'mailbox-blobs', 'mailbox-acked'),
          req: fc.oneof(fc.string(), fc.constant('q1')),
          address: fc.oneof(fc.string(), fc.constant(a)),
          id: fc.oneof(fc.string(), fc.nat().map(String)),
          deleted: fc.oneof(fc.integer(), fc.double(), fc.string()),
          blobs: fc.array(fc.record({ id: fc.oneof(fc.string(), fc.nat().map(String)), data: fc.string() })),
          more: fc.oneof(fc.boolean(), fc.string()),
        }),
        (frame) => {
          const m = parseRelayMessage(JSON.stringify(frame));
          if (m === null) return;
          const r = m as Record<string, unknown>;
          expect(r.req).toMatch(/^[A-Za-z0-9_-]{1,16}$/);
          expect(r.address).toBe(a);
          if (m.type === 'mailbox-stored') expect(m.id).toMatch(/^[1-9][0-9]*$/);
          if (m.type === 'mailbox-acked') expect(Number.isSafeInteger(m.deleted) && m.deleted >= 0).toBe(true);
          if (m.type === 'mailbox-blobs') for (const b of m.blobs) expect(b.id).toMatch(/^[1-9][0-9]*$/);
        },
      ),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (s) => {
        parseRelayMessage(s);
      }),
    );
  });
});

// --- against a real WebSocket server ---------------------------------------------------------

const clients: SignalingClient[] = [];
let relay: TestRelay | null = null;
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = null;
});
const client = (url: string, opts = {}) => {
  const c = new SignalingClient(url, { WebSocket: WS, minBackoffMs: 20, maxBackoffMs: 200, ...opts });
  clients.push(c);
  return c;
};
const waitStatus = (c: SignalingClient, s: SignalingStatus) =>
  new Promise<void>((resolve) => {
    if (c.status === s) return resolve();
    const off = c.onStatus((x) => {
      if (x === s) {
        off();
        resolve();
      }
    });
  });
const nextEvent = (c: SignalingClient, r: string, pred: (e: RoomEvent) => boolean) =>
  new Promise<RoomEvent>((resolve) => {
    const off = c.onRoom(r, (e) => {
      if (pred(e)) {
        off();
        resolve(e);
      }
    });
  });

describe('SignalingClient', () => {
  it('relays blobs between two clients of a room, with peer-joined and peer-left', async () => {
    relay = await startTestRelay();
    const a = client(relay.url),
      b = client(relay.url);
    const r = room('x');
    const aSub = nextEvent(a, r, (e) => e.type === 'subscribed');
    a.subscribe(r);
    await aSub;
    const joined = nextEvent(a, r, (e) => e.type === 'peer-joined');
    const bSub = nextEvent(b, r, (e) => e.type === 'subscribed');
    b.subscribe(r);
    expect(await bSub).toEqual({ type: 'subscribed', peers: 1 });
    await joined;
    const got = nextEvent(b, r, (e) => e.type === 'message');
    expect(a.publish(r, new Uint8Array([9, 8, 7]))).toBe(true);
    expect(await got).toEqual({ type: 'message', data: new Uint8Array([9, 8, 7]) });
    const left = nextEvent(a, r, (e) => e.type === 'peer-left');
    b.unsubscribe(r);
    await left;
  });

  it('reconnects after the relay drops it and re-subscribes its rooms by itself', async () => {
    relay = await startTestRelay();
    const a = client(relay.url),
      b = client(relay.url);
    const r = room('y');
    const subs = [nextEvent(a, r, (e) => e.type === 'subscribed'), nextEvent(b, r, (e) => e.type === 'subscribed')];
    a.subscribe(r);
    b.subscribe(r);
    await Promise.all(subs);
    const seen: SignalingStatus[] = [];
    a.onStatus((s) => seen.push(s));
    const retrying = waitStatus(a, 'retrying');
    const aResub = nextEvent(a, r, (e) => e.type === 'subscribed');
    const bResub = nextEvent(b, r, (e) => e.type === 'subscribed');
    relay.dropAll();
    await retrying;
    expect(a.nextRetryAt).not.toBeNull();
    await Promise.all([aResub, bResub]);
    expect(seen.slice(0, 3)).toEqual(['retrying', 'connecting', 'open']);
    expect(a.nextRetryAt).toBeNull();
    const got = nextEvent(a, r, (e) => e.type === 'message');
    b.publish(r, new Uint8Array([1]));
    expect(await got).toEqual({ type: 'message', data: new Uint8Array([1]) });
  });

  it('drops publishes while not open and counts them; keeps retrying while the relay is down', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const a = client(`ws://127.0.0.1:${port}/signal`);
    const r = room('z');
    a.subscribe(r);
    await waitStatus(a, 'retrying');
    expect(a.nextRetryAt).toBeGreaterThan(0);
    expect(a.publish(r, new Uint8Array([1]))).toBe(false);
    expect(a.droppedCount).toBe(1);
    a.close();
    expect(a.status).toBe('closed');
    expect(a.nextRetryAt).toBeNull();
  });

  it('treats a connection that stops answering pings as dead and reconnects', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    let connections = 0;
    wss.on('connection', () => {
      connections++;
    }); // accepts, then never says anything
    try {
      const a = client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/signal`, {
        pingIntervalMs: 60,
        pongTimeoutMs: 120,
      });
      await waitStatus(a, 'open');
      await waitStatus(a, 'retrying');
      await waitStatus(a, 'open');
      expect(connections).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  it('answers to close(): no reconnect afterwards', async () => {
    relay = await startTestRelay();
    const a = client(relay.url);
    await waitStatus(a, 'open');
    const seen: SignalingStatus[] = [];
    a.onStatus((s) => seen.push(s));
    a.close();
    relay.dropAll();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(['closed']);
    expect(() => a.publish(room('q'), new Uint8Array())).toThrow(/not subscribed/);
  });
});

describe('SignalingClient and relay protocol 2', () => {
  it('says hello on every connection and keeps what the relay answered', async () => {
    relay = await startTestRelay({ mailboxMaxBlobs: 9 });
    const a = client(relay.url);
    await waitStatus(a, 'open');
    await until(() => a.relayInfo !== null);
    expect(a.relayInfo).toMatchObject({ protocol: 2, features: ['mailbox'], mailbox: { maxBlobs: 9 } });
    relay.dropAll();
    await waitStatus(a, 'retrying');
    expect(a.relayInfo).toBeNull();
    await waitStatus(a, 'open');
    await until(() => a.relayInfo !== null);
  });

  it('takes a relay that does not know hello for protocol 1, without reporting an error', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) =>
      ws.on('message', () => ws.send('{"type":"error","code":"unknown-type","message":"unknown message type"}')),
    );
    try {
      const a = client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/signal`);
      const errors: unknown[] = [];
      a.onRelayError((e) => errors.push(e));
      await until(() => a.relayInfo !== null);
      expect(a.relayInfo).toEqual({ protocol: 1, features: [], mailbox: null });
      expect(errors).toEqual([]);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  it('after a 1012 from a draining relay, schedules its reconnect within a second', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    let first = true;
    wss.on('connection', (ws) => {
      if (first) ws.close(1012, 'relay shutting down, reconnect');
      first = false;
    });
    try {
      const a = client(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/signal`, {
        minBackoffMs: 5000,
        maxBackoffMs: 30_000,
      });
      await waitStatus(a, 'retrying');
      expect(a.lastCloseCode).toBe(1012);
      expect(a.nextRetryAt! - Date.now()).toBeLessThanOrEqual(1000); // not the 5 s backoff
      await waitStatus(a, 'open');
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('SignalingClient subscriptions', () => {
  it('counts subscribe() calls: the relay is told to leave only when the last one is undone', async () => {
    relay = await startTestRelay();
    const a = client(relay.url),
      b = client(relay.url);
    const r = room('w');
    const sub = nextEvent(b, r, (e) => e.type === 'subscribed');
    a.subscribe(r);
    a.subscribe(r);
    b.subscribe(r);
    await sub;
    a.unsubscribe(r);
    const got = nextEvent(b, r, (e) => e.type === 'message' || e.type === 'peer-left');
    a.publish(r, new Uint8Array([5])); // still subscribed once
    expect(await got).toEqual({ type: 'message', data: new Uint8Array([5]) });
    const left = nextEvent(b, r, (e) => e.type === 'peer-left');
    a.unsubscribe(r);
    await left;
    expect(() => a.publish(r, new Uint8Array([6]))).toThrow(/not subscribed/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, newBlob, newRoom, startRelay, type Running } from './helpers';

describe('relay protocol', () => {
  let r: Running;
  const forwarded: { room: string; data: string; from: string }[] = [];
  const rewrite = new Map<string, string | null>();
  beforeAll(async () => {
    r = await startRelay({
      maxPeersPerRoom: 3,
      onForward: (room, data, from) => {
        forwarded.push({ room, data, from });
        return rewrite.has(data) ? rewrite.get(data) : undefined;
      },
    });
  });
  afterAll(() => r.relay.close());

  it('subscribe reports the other peers and announces the newcomer', async () => {
    const room = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    expect(await a.subscribe(room)).toBe(0);
    expect(await b.subscribe(room)).toBe(1);
    expect(await a.nextOfType('peer-joined')).toEqual({ type: 'peer-joined', room });
    // Subscribing again is idempotent: same count, no second announcement.
    expect(await b.subscribe(room)).toBe(1);
    await a.sync();
    expect(a.inbox).toEqual([]);
    a.close();
    b.close();
  });

  it('publish reaches every other socket of the room, unchanged, and is never echoed', async () => {
    const room = newRoom();
    const [a, b, c] = await Promise.all([Client.connect(r.wsUrl), Client.connect(r.wsUrl), Client.connect(r.wsUrl)]);
    for (const x of [a, b, c]) await x.subscribe(room);
    const data = newBlob(300);
    a.send({ type: 'publish', room, data });
    expect(await b.nextOfType('message')).toEqual({ type: 'message', room, data });
    expect(await c.nextOfType('message')).toEqual({ type: 'message', room, data });
    await a.sync();
    expect(a.inbox.filter((m) => m.type === 'message')).toEqual([]);
    for (const x of [a, b, c]) x.close();
  });

  it('keeps rooms apart', async () => {
    const room1 = newRoom();
    const room2 = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    const c = await Client.connect(r.wsUrl);
    await a.subscribe(room1);
    await a.subscribe(room2);
    await b.subscribe(room1);
    await c.subscribe(room2);
    a.send({ type: 'publish', room: room2, data: 'Zm9y' });
    expect(await c.nextOfType('message')).toMatchObject({ room: room2, data: 'Zm9y' });
    await b.sync();
    expect(b.inbox.filter((m) => m.type === 'message')).toEqual([]);
    for (const x of [a, b, c]) x.close();
  });

  it('refuses to publish to a room the socket has not subscribed to, and stays open', async () => {
    const room = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    await b.subscribe(room);
    a.send({ type: 'publish', room, data: newBlob() });
    expect(await a.nextOfType('error')).toMatchObject({ type: 'error', code: 'not-subscribed', room });
    await a.sync();
    await b.sync();
    expect(b.inbox.filter((m) => m.type === 'message')).toEqual([]);
    a.close();
    b.close();
  });

  it('unsubscribe and disconnect tell the others with peer-left', async () => {
    const room = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    const c = await Client.connect(r.wsUrl);
    for (const x of [a, b, c]) await x.subscribe(room);
    b.send({ type: 'unsubscribe', room });
    expect(await a.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
    expect(await c.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
    b.send({ type: 'publish', room, data: newBlob() });
    expect(await b.nextOfType('error')).toMatchObject({ code: 'not-subscribed' });
    c.close();
    expect(await a.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
    expect(await b.subscribe(room)).toBe(1);
    a.close();
    b.close();
  });

  it('answers ping with pong', async () => {
    const a = await Client.connect(r.wsUrl);
    a.send({ type: 'ping' });
    expect(await a.next()).toEqual({ type: 'pong' });
    a.close();
  });

  it('a full room answers room-full without closing the socket', async () => {
    const room = newRoom();
    const clients = await Promise.all([0, 1, 2, 3].map(() => Client.connect(r.wsUrl)));
    for (const x of clients.slice(0, 3)) await x.subscribe(room);
    const late = clients[3]!;
    late.send({ type: 'subscribe', room });
    expect(await late.nextOfType('error')).toMatchObject({ code: 'room-full', room });
    await late.sync();
    clients[0]!.close();
    await clients[1]!.nextOfType('peer-left');
    expect(await late.subscribe(room)).toBe(2);
    for (const x of clients) x.close();
  });

  it('answers an unknown type with a non-fatal error', async () => {
    const a = await Client.connect(r.wsUrl);
    a.send({ type: 'frobnicate', room: newRoom() });
    expect(await a.nextOfType('error')).toMatchObject({ code: 'unknown-type' });
    await a.sync();
    a.close();
  });

  it('ignores extra fields', async () => {
    const room = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    await a.subscribe(room);
    await b.subscribe(room);
    a.send({ type: 'publish', room, data: 'QUJD', extra: { nested: [1, 2, 3] } });
    expect(await b.nextOfType('message')).toEqual({ type: 'message', room, data: 'QUJD' });
    a.close();
    b.close();
  });

  it('onForward sees every publish and may rewrite or drop it', async () => {
    const room = newRoom();
    const a = await Client.connect(r.wsUrl);
    const b = await Client.connect(r.wsUrl);
    await a.subscribe(room);
    await b.subscribe(room);
    const kept = newBlob();
    const changed = newBlob();
    const dropped = newBlob();
    rewrite.set(changed, 'cmV3cml0dGVu');
    rewrite.set(dropped, null);
    for (const data of [kept, changed, dropped, kept]) a.send({ type: 'publish', room, data });
    await a.sync();
    expect(await b.nextOfType('message')).toMatchObject({ data: kept });
    expect(await b.nextOfType('message')).toMatchObject({ data: 'cmV3cml0dGVu' });
    expect(await b.nextOfType('message')).toMatchObject({ data: kept });
    const mine = forwarded.filter((f) => f.room === room);
    expect(mine.map((f) => f.data)).toEqual([kept, changed, dropped, kept]);
    expect(new Set(mine.map((f) => f.from)).size).toBe(1);
    a.close();
    b.close();
  });
});

describe('relay idle timeout', () => {
  it('closes a socket that neither sends nor answers pings with 4408, and keeps a live one', async () => {
    const r = await startRelay({ idleTimeoutMs: 1500, heartbeatMs: 100 });
    try {
      const live = await Client.connect(r.wsUrl);
      const dead = await Client.connect(r.wsUrl, { autoPong: false });
      expect((await dead.closed).code).toBe(4408);
      await live.sync();
      expect(r.relay.connections).toBe(1);
      live.close();
    } finally {
      await r.relay.close();
    }
  });
});

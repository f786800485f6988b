/**
 * Scale-out (docs/relay.md "Several instances"): two relay instances on different ports sharing
 * one real redis-server (started here on loopback). Rooms, presence and the mailbox work across
 * them; room and mailbox caps hold across them; an instance that drains sends its clients to the
 * other, and a client behind a non-sticky balancer goes on there.
 */
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignalingClient, type RoomEvent, type WebSocketConstructor } from '../../src/net/signaling';
import { startRedis, type Service } from '../support/services';
import { startBalancer, type Balancer } from '../support/tcp-balancer';
import { Client, newBlob, newRoom, request, sizedBlob, startRelay, type Running } from './helpers';

describe('two relay instances sharing one Redis', () => {
  let redis: Service & { url: string };
  let slowLink: Balancer;
  let one: Running;
  let two: Running;
  const open: Client[] = [];
  const connect = async (r: Running): Promise<Client> => {
    const c = await Client.connect(r.wsUrl);
    open.push(c);
    return c;
  };
  const options = (redisUrl: string) => ({
    redisUrl,
    maxPeersPerRoom: 3,
    mailboxMaxBlobs: 3,
    mailboxMaxTotalBytes: 64 * 1024,
  });
  beforeAll(async () => {
    redis = await startRedis();
    // Instance 2 talks to Redis over a link that holds every chunk 30 ms each way, so that what
    // must happen in order (subscribe to the room's channel before announcing the join) shows
    // when it does not.
    slowLink = await startBalancer([redis.port], { delayMs: 30 });
    one = await startRelay(options(redis.url));
    two = await startRelay(options(`redis://127.0.0.1:${slowLink.port}`));
  });
  afterAll(async () => {
    open.forEach((c) => c.close());
    await one?.relay.close();
    await two?.relay.close();
    await slowLink?.close();
    await redis?.stop();
  });

  it('fans a room out across instances with presence: peers count, peer-joined, message, peer-left, no echo', async () => {
    const room = newRoom();
    const a = await connect(one);
    const c = await connect(one);
    const b = await connect(two);
    expect(await a.subscribe(room)).toBe(0);
    expect(await b.subscribe(room)).toBe(1);
    expect(await a.nextOfType('peer-joined')).toEqual({ type: 'peer-joined', room });
    expect(await c.subscribe(room)).toBe(2);
    expect(await b.nextOfType('peer-joined')).toEqual({ type: 'peer-joined', room });
    const fromB = newBlob(200);
    b.send({ type: 'publish', room, data: fromB });
    expect(await a.nextOfType('message')).toEqual({ type: 'message', room, data: fromB });
    expect(await c.nextOfType('message')).toEqual({ type: 'message', room, data: fromB });
    const fromA = newBlob(200);
    a.send({ type: 'publish', room, data: fromA });
    expect(await b.nextOfType('message')).toEqual({ type: 'message', room, data: fromA });
    expect(await c.nextOfType('message')).toEqual({ type: 'message', room, data: fromA });
    await b.sync();
    expect(b.inbox.filter((m) => m.type === 'message')).toEqual([]); // never its own back
    b.send({ type: 'unsubscribe', room });
    expect(await a.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
    expect(await c.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
    c.close();
    expect(await a.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
  });

  it('an offer sent the moment peer-joined arrives always reaches the joiner on the other instance', async () => {
    for (let i = 0; i < 25; i++) {
      const room = newRoom();
      const a = await connect(i % 2 ? one : two);
      const b = await connect(i % 2 ? two : one);
      await a.subscribe(room);
      const offer = newBlob(300);
      const answered = a.nextOfType('peer-joined').then(() => a.send({ type: 'publish', room, data: offer }));
      await b.subscribe(room);
      await answered;
      expect(await b.nextOfType('message', 5000)).toEqual({ type: 'message', room, data: offer });
      a.close();
      b.close();
    }
  });

  it('holds MAX_PEERS_PER_ROOM across instances', async () => {
    const room = newRoom();
    const [a, b, c, d] = [await connect(one), await connect(one), await connect(two), await connect(two)];
    for (const x of [a, b, c]) await x.subscribe(room);
    d.send({ type: 'subscribe', room });
    expect(await d.nextOfType('error')).toMatchObject({ code: 'room-full', room });
    a.close();
    await c.nextOfType('peer-left');
    expect(await d.subscribe(room)).toBe(2);
  });

  it('stores on one instance and serves, acknowledges and caps on the other', async () => {
    const address = newRoom();
    const sender = await connect(one);
    const fetcher = await connect(two);
    const data = sizedBlob(1024, 'R');
    expect(await request(sender, { type: 'mailbox-put', address, data })).toMatchObject({
      type: 'mailbox-stored',
      id: '1',
    });
    expect(await request(fetcher, { type: 'mailbox-fetch', address })).toMatchObject({
      blobs: [{ id: '1', data }],
      more: false,
    });
    expect(await request(fetcher, { type: 'mailbox-ack', address, ids: ['1'] })).toMatchObject({ deleted: 1 });
    expect(await request(sender, { type: 'mailbox-fetch', address })).toMatchObject({ blobs: [] });
    // MAILBOX_MAX_BLOBS (3) counts puts through both instances.
    for (const [i, c] of [sender, fetcher, sender].entries())
      expect(await request(c, { type: 'mailbox-put', address, data: sizedBlob(1024) })).toMatchObject({
        id: String(i + 2),
      });
    expect(await request(fetcher, { type: 'mailbox-put', address, data: sizedBlob(1024) })).toMatchObject({
      code: 'mailbox-full',
    });
    // Paging with `after` across instances.
    const page = await request(fetcher, { type: 'mailbox-fetch', address, after: '2' });
    expect((page.blobs as { id: string }[]).map((b) => b.id)).toEqual(['3', '4']);
  });

  it('holds MAILBOX_MAX_TOTAL_BYTES across instances, and both report the same totals', async () => {
    const a = await connect(one);
    const b = await connect(two);
    const codes: unknown[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await request(i % 2 ? a : b, { type: 'mailbox-put', address: newRoom(), data: sizedBlob(16384) });
      codes.push(m.code ?? m.type);
    }
    // 3 KiB stored by the test before; 64 KiB in all: three more 16 KiB blobs fit.
    expect(codes).toEqual([
      'mailbox-stored',
      'mailbox-stored',
      'mailbox-stored',
      ...Array(3).fill('mailbox-storage-full'),
    ]);
    const gauge = async (r: Running) =>
      /^parley_relay_mailbox_bytes (\d+)$/m.exec(await (await fetch(`${r.url}/metrics`)).text())?.[1];
    expect(await gauge(one)).toBe(String(3 * 1024 + 3 * 16384));
    expect(await gauge(two)).toBe(await gauge(one));
  });
});

describe('an instance that drains', () => {
  it('sends its clients to the other instance (1012), and a client behind a balancer goes on there', async () => {
    const redis = await startRedis();
    const one = await startRelay({ redisUrl: redis.url });
    const two = await startRelay({ redisUrl: redis.url });
    const balancer = await startBalancer([Number(new URL(one.url).port), Number(new URL(two.url).port)]);
    const WS = WebSocket as unknown as WebSocketConstructor;
    const alice = new SignalingClient(`ws://127.0.0.1:${balancer.port}/signal`, { WebSocket: WS, minBackoffMs: 50 });
    const bob = await Client.connect(two.wsUrl);
    try {
      const room = newRoom();
      const events: RoomEvent[] = [];
      alice.onRoom(room, (e) => events.push(e));
      alice.subscribe(room);
      await until(() => events.some((e) => e.type === 'subscribed'));
      expect(balancer.routed).toEqual([Number(new URL(one.url).port)]); // alice is on instance 1
      expect(await bob.subscribe(room)).toBe(1);
      const closing = one.relay.close();
      expect(await bob.nextOfType('peer-left')).toEqual({ type: 'peer-left', room }); // told through Redis
      await closing;
      expect(alice.lastCloseCode).toBe(1012);
      // Alice reconnects through the balancer, lands on instance 2, re-subscribes: Bob sees her again.
      expect(await bob.nextOfType('peer-joined', 15_000)).toEqual({ type: 'peer-joined', room });
      expect(balancer.routed.at(-1)).toBe(Number(new URL(two.url).port));
      const data = newBlob(100);
      bob.send({ type: 'publish', room, data });
      await until(() => events.some((e) => e.type === 'message'));
      expect(events.filter((e) => e.type === 'subscribed').map((e) => e.type === 'subscribed' && e.peers)).toEqual([
        0, 1,
      ]);
      expect(alice.publish(room, new Uint8Array([1, 2, 3]))).toBe(true);
      expect(await bob.nextOfType('message')).toEqual({ type: 'message', room, data: 'AQID' });
    } finally {
      alice.close();
      bob.close();
      await balancer.close();
      await two.relay.close();
      await redis.stop();
    }
  });
});

describe('when Redis goes away', () => {
  it('mailbox requests get mailbox-unavailable, new subscribes are told to come back, /healthz says 503', async () => {
    const redis = await startRedis();
    const r = await startRelay({ redisUrl: redis.url });
    try {
      const c = await Client.connect(r.wsUrl);
      await c.subscribe(newRoom());
      await redis.stop();
      expect(
        await request(c, { type: 'mailbox-put', address: newRoom(), data: sizedBlob(1024) }, 20_000),
      ).toMatchObject({
        type: 'error',
        code: 'mailbox-unavailable',
      });
      expect((await fetch(`${r.url}/healthz`)).status).toBe(503);
      c.send({ type: 'subscribe', room: newRoom() });
      expect((await c.closed).code).toBe(1013);
    } finally {
      await r.relay.close();
    }
  });
});

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Attack tests: each abusive socket is refused with its close code while a well-behaved pair on
 * the same relay keeps exchanging messages, all of which must arrive in order.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Client, exchange, goodPair, newBlob, newRoom, startRelay, type Running } from './helpers';

type Pair = Awaited<ReturnType<typeof goodPair>>;

/** Runs `attack` with the pair exchanging messages before, during and after it. */
async function whilePairTalks(pair: Pair, attack: () => Promise<void>): Promise<void> {
  await exchange(pair, 5);
  await Promise.all([attack(), exchange(pair, 10)]);
  await exchange(pair, 5);
}

/** A fresh socket that sends `frames` and is expected to be closed with `code`. */
async function refusedWith(wsUrl: string, code: number, frames: (c: Client) => void): Promise<void> {
  const c = await Client.connect(wsUrl);
  frames(c);
  expect((await c.closed).code).toBe(code);
}

describe('relay under abuse', () => {
  let r: Running;
  let pair: Pair;
  // One relay with the default limits; a fresh pair for each attack, so that the pair's own
  // traffic stays far inside its rate limit.
  beforeAll(async () => {
    r = await startRelay();
  });
  beforeEach(async () => {
    pair = await goodPair(r.wsUrl);
  });
  afterEach(async () => {
    pair.a.close();
    pair.b.close();
    await Promise.all([pair.a.closed, pair.b.closed]);
  });
  afterAll(() => r.relay.close());

  const room = newRoom();
  const malformed: [string, string | Buffer][] = [
    ['not JSON', 'hello relay'],
    ['truncated JSON', '{"type":"subscribe","room":'],
    ['a JSON array', '[{"type":"ping"}]'],
    ['JSON null', 'null'],
    ['a number as type', '{"type":5}'],
    ['no type', '{"room":"x"}'],
    ['a short room id', '{"type":"subscribe","room":"abc"}'],
    ['a room id with padding', `{"type":"subscribe","room":"${room.slice(0, 42)}="}`],
    ['a number as room', '{"type":"publish","room":12345,"data":"QUJD"}'],
    ['data that is not base64url', `{"type":"publish","room":"${room}","data":"not base64!"}`],
    ['data as an object', `{"type":"publish","room":"${room}","data":{"x":1}}`],
    ['empty data', `{"type":"publish","room":"${room}","data":""}`],
    ['deep nesting', '{"a":' + '['.repeat(32_000) + ']'.repeat(32_000) + '}'],
    ['unterminated deep nesting', '{"a":' + '{"b":'.repeat(12_000)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])],
    ['a lone surrogate (CESU-8)', Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])],
  ];
  for (const [what, frame] of malformed) {
    it(`closes a socket that sends ${what} with 4400`, async () => {
      await whilePairTalks(pair, () => refusedWith(r.wsUrl, 4400, (c) => c.ws.send(frame, { binary: false })));
    });
  }

  it('closes a socket that sends a binary frame with 4400', async () => {
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4400, (c) => c.ws.send(Buffer.from('{"type":"ping"}'), { binary: true })),
    );
  });

  it('closes a socket that sends a frame over MAX_MESSAGE_BYTES with 4413', async () => {
    const sub = newRoom();
    const big = JSON.stringify({ type: 'publish', room: sub, data: 'A'.repeat(65_536) });
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4413, (c) => {
        c.send({ type: 'subscribe', room: sub });
        c.ws.send(big);
      }),
    );
  });

  it('closes a socket that sends a 16 MiB frame with 4413', async () => {
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4413, (c) => c.ws.send('{"type":"ping","pad":"' + 'x'.repeat(16 << 20) + '"}')),
    );
  });

  it('closes a socket that sends a message fragmented past the limit with 4413', async () => {
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4413, (c) => {
        const part = 'x'.repeat(20_000);
        c.ws.send('{"type":"ping","pad":"' + part, { fin: false });
        for (let i = 0; i < 5; i++) c.ws.send(part, { fin: false });
        c.ws.send('"}', { fin: true });
      }),
    );
  });

  it('accepts a frame just under the limit', async () => {
    const c = await Client.connect(r.wsUrl);
    const pad = 'x'.repeat(65_536 - 40);
    c.ws.send(`{"type":"ping","pad":"${pad}"}`);
    expect(await c.nextOfType('pong')).toEqual({ type: 'pong' });
    c.close();
  });

  it('closes a flooding socket with 4429', async () => {
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4429, (c) => {
        for (let i = 0; i < 1000; i++) c.send({ type: 'ping' });
      }),
    );
  });

  it('closes a socket that floods WebSocket ping frames with 4429', async () => {
    // In rounds of 20, so that ws's own bound on unflushed automatic pongs (which would just
    // destroy the socket) stays out of the way and the relay's rate limit is what acts.
    await whilePairTalks(pair, async () => {
      const c = await Client.connect(r.wsUrl);
      for (let round = 0; round < 50 && c.ws.readyState === c.ws.OPEN; round++) {
        for (let i = 0; i < 20; i++) c.ws.ping();
        await new Promise<void>((resolve) => c.ws.once('pong', () => resolve()).once('close', () => resolve()));
      }
      expect((await c.closed).code).toBe(4429);
    });
  });

  it('closes a socket that floods publishes into the pair’s room with 4429, after at most the burst', async () => {
    const flooder = await Client.connect(r.wsUrl);
    const floodRoom = newRoom();
    const victim = await Client.connect(r.wsUrl);
    await victim.subscribe(floodRoom);
    await flooder.subscribe(floodRoom);
    let received = 0;
    victim.ws.on('message', (raw) => {
      if (raw.toString().includes('"message"')) received++;
    });
    await whilePairTalks(pair, async () => {
      for (let i = 0; i < 5000; i++) flooder.send({ type: 'publish', room: floodRoom, data: newBlob(16) });
      expect((await flooder.closed).code).toBe(4429);
    });
    await victim.nextOfType('peer-left');
    // The bucket holds 100 and refills at 50/s: the flood cannot have pushed much more through.
    expect(received).toBeLessThan(1000);
    victim.close();
  });

  it('lets a socket hold 128 rooms (docs/groups.md §12) and closes it with 4403 on the 129th', async () => {
    await whilePairTalks(pair, async () => {
      const c = await Client.connect(r.wsUrl);
      // Subscribed in steps of 32 under the rate limit (50/s, burst 100), as the app paces its rooms.
      for (let done = 0; done < 128; done += 32) {
        await Promise.all(Array.from({ length: 32 }, () => c.subscribe(newRoom())));
        await new Promise((t) => setTimeout(t, 1000));
      }
      await c.sync(); // still open, holding 128 rooms
      c.send({ type: 'subscribe', room: newRoom() });
      expect((await c.closed).code).toBe(4403);
    });
  });

  it('closes a socket that subscribes to thousands of rooms (at once: the rate limit, 4429, comes first)', async () => {
    await whilePairTalks(pair, () =>
      refusedWith(r.wsUrl, 4429, (c) => {
        for (let i = 0; i < 3000; i++) c.send({ type: 'subscribe', room: newRoom() });
      }),
    );
  });

  it('survives thousands of sockets that connect, send garbage and vanish', async () => {
    await whilePairTalks(pair, async () => {
      const batch = await Promise.all(Array.from({ length: 300 }, () => Client.connect(r.wsUrl)));
      batch.forEach((c, i) => (i % 2 ? c.ws.send(Buffer.from([1, 2, 3])) : c.ws.terminate()));
      await Promise.all(batch.map((c) => c.closed));
    });
    await pair.a.sync();
    expect(r.relay.connections).toBe(2);
  });

  it('answers an HTTP upgrade on another path with 404 and keeps serving', async () => {
    await whilePairTalks(pair, async () => {
      const err = await Client.connect(r.wsUrl.replace('/signal', '/nope')).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/404/);
    });
  });
});

describe('relay with a slow reader', () => {
  it('drops a socket that stops reading instead of buffering for it without bound', async () => {
    const r = await startRelay({ maxBufferedBytes: 256 * 1024, maxMessagesPerSecond: 10_000, burst: 10_000 });
    const pair = await goodPair(r.wsUrl);
    try {
      const room = newRoom();
      const sender = await Client.connect(r.wsUrl);
      const slow = await Client.connect(r.wsUrl);
      await sender.subscribe(room);
      await slow.subscribe(room);
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const blob = newBlob(45_000);
      await whilePairTalks(pair, async () => {
        // Far more than the kernel's loopback buffers and the relay's per-socket bound together.
        for (let i = 0; i < 1500 && !sender.inbox.some((m) => m.type === 'peer-left'); i++) {
          sender.send({ type: 'publish', room, data: blob });
          if (i % 50 === 49) await sender.sync();
        }
        expect(await sender.nextOfType('peer-left')).toEqual({ type: 'peer-left', room });
      });
      expect(r.relay.connections).toBe(3);
      sender.close();
    } finally {
      pair.a.close();
      pair.b.close();
      await r.relay.close();
    }
  });
});

describe('relay connection limit', () => {
  it('refuses sockets beyond MAX_CONNECTIONS with 1013 and accepts again once one leaves', async () => {
    const r = await startRelay({ maxConnections: 6 });
    const pair = await goodPair(r.wsUrl);
    try {
      let others: Client[] = [];
      await whilePairTalks(pair, async () => {
        others = await Promise.all([0, 1, 2, 3].map(() => Client.connect(r.wsUrl)));
        for (const c of others) await c.sync();
        const refused = await Promise.all([0, 1, 2].map(() => Client.connect(r.wsUrl)));
        for (const c of refused) expect((await c.closed).code).toBe(1013);
      });
      others[0]!.close();
      await others[0]!.closed;
      await exchange(pair, 3);
      const again = await Client.connect(r.wsUrl);
      await again.sync();
      for (const c of [again, ...others]) c.close();
    } finally {
      pair.a.close();
      pair.b.close();
      await r.relay.close();
    }
  });
});

describe('per client address limits', () => {
  it('refuses sockets beyond MAX_CONNECTIONS_PER_IP with 1013; other addresses and the pair are unaffected', async () => {
    const r = await startRelay({ maxConnectionsPerIp: 3 });
    const pair = await goodPair(r.wsUrl);
    try {
      const from = (ip: string) => Client.connect(r.wsUrl, { headers: { 'x-forwarded-for': ip } });
      await whilePairTalks(pair, async () => {
        const mine = await Promise.all([0, 1, 2].map(() => from('198.51.100.9')));
        for (const c of mine) await c.sync();
        const refused = await from('198.51.100.9');
        expect((await refused.closed).code).toBe(1013);
        const other = await from('198.51.100.10');
        await other.sync();
        mine[0]!.close();
        await mine[0]!.closed;
        const again = await from('198.51.100.9');
        await again.sync();
        for (const c of [other, again, ...mine]) c.close();
      });
    } finally {
      pair.a.close();
      pair.b.close();
      await r.relay.close();
    }
  });

  it('closes with 4429 the sockets of an address over IP_MESSAGES_PER_SECOND, each socket inside its own rate', async () => {
    const r = await startRelay({ ipMessagesPerSecond: 40, ipBurst: 60 });
    const pair = await goodPair(r.wsUrl);
    try {
      await whilePairTalks(pair, async () => {
        // Five sockets of one address, 20 frames each: every socket far inside its own 50/s (burst
        // 100), the address together over its burst of 60.
        const five = await Promise.all(
          [0, 1, 2, 3, 4].map(() => Client.connect(r.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.5' } })),
        );
        for (const c of five) for (let i = 0; i < 20; i++) c.send({ type: 'ping' });
        const first = await Promise.any(five.map((c) => c.closed));
        expect(first.code).toBe(4429);
        five.forEach((c) => c.close());
      });
    } finally {
      pair.a.close();
      pair.b.close();
      await r.relay.close();
    }
  });
});

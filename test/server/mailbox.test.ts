/**
 * The mailbox over a real relay (in memory; tests/server/redis.test.ts does the same across
 * instances): protocol 2's hello/welcome, put/fetch/ack between two sockets, every cap refused
 * with its typed error while the socket stays open, TTL, and what the metrics say.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, exchange, goodPair, newRoom, request, sizedBlob as blob, startRelay, type Running } from './helpers';

describe('mailbox over the relay', () => {
  let r: Running;
  const recorded: { op: string; address: string; data?: string }[] = [];
  beforeAll(async () => {
    r = await startRelay({
      mailboxMaxBlobs: 4,
      mailboxMaxBytes: 16384,
      mailboxMaxTotalBytes: 64 * 1024,
      mailboxIpBytesPerMinute: 1024 * 1024,
      onMailbox: (e) => recorded.push(e),
    });
  });
  afterAll(() => r.relay.close());

  it('answers hello with its protocol version and mailbox limits', async () => {
    const c = await Client.connect(r.wsUrl);
    c.send({ type: 'hello', protocol: 2 });
    expect(await c.nextOfType('welcome')).toEqual({
      type: 'welcome',
      protocol: 2,
      features: ['mailbox'],
      mailbox: { maxBlobs: 4, maxBytes: 16384, sizes: [1024, 4096, 16384], ttlS: 7 * 86400 },
    });
    c.close();
  });

  it('stores a blob from one socket, hands it to another, and deletes it once acknowledged', async () => {
    const address = newRoom();
    const sender = await Client.connect(r.wsUrl);
    const fetcher = await Client.connect(r.wsUrl);
    const data = blob(1024, 'S');
    expect(await request(sender, { type: 'mailbox-put', address, data })).toMatchObject({
      type: 'mailbox-stored',
      address,
      id: '1',
    });
    sender.close();
    const got = await request(fetcher, { type: 'mailbox-fetch', address });
    expect(got).toMatchObject({ type: 'mailbox-blobs', address, blobs: [{ id: '1', data }], more: false });
    expect(await request(fetcher, { type: 'mailbox-ack', address, ids: ['1'] })).toMatchObject({
      type: 'mailbox-acked',
      deleted: 1,
    });
    expect(await request(fetcher, { type: 'mailbox-fetch', address })).toMatchObject({ blobs: [], more: false });
    expect(recorded.filter((e) => e.address === address).map((e) => e.op)).toEqual([
      'mailbox-put',
      'mailbox-fetch',
      'mailbox-ack',
      'mailbox-fetch',
    ]);
    fetcher.close();
  });

  it('refuses each cap with a typed error and keeps the socket open', async () => {
    const c = await Client.connect(r.wsUrl);
    const address = newRoom();
    for (let i = 0; i < 4; i++)
      expect(await request(c, { type: 'mailbox-put', address, data: blob(1024) })).toMatchObject({
        type: 'mailbox-stored',
      });
    expect(await request(c, { type: 'mailbox-put', address, data: blob(1024) })).toMatchObject({
      type: 'error',
      code: 'mailbox-full',
    });
    expect(await request(c, { type: 'mailbox-put', address: newRoom(), data: blob(1024) + 'AB' })).toMatchObject({
      code: 'mailbox-bad-size',
    });
    expect(await request(c, { type: 'mailbox-put', address: newRoom(), data: blob(32768) })).toMatchObject({
      code: 'mailbox-too-large',
    });
    // 4 KiB stored so far; the total is 64 KiB: three 16 KiB blobs fit, the fourth does not.
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(await request(c, { type: 'mailbox-put', address: newRoom(), data: blob(16384) }));
    expect(results.map((m) => m.code ?? m.type)).toEqual([
      'mailbox-stored',
      'mailbox-stored',
      'mailbox-stored',
      'mailbox-storage-full',
    ]);
    await c.sync();
    expect(r.relay.connections).toBeGreaterThan(0);
    c.close();
  });

  it('exposes the mailbox and refusals on /metrics', async () => {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    expect(text).toMatch(/^parley_relay_mailbox_blobs \d+$/m);
    expect(text).toMatch(/^parley_relay_refusals_total\{code="mailbox-full"\} [1-9]/m);
    expect(text).toMatch(/^parley_relay_refusals_total\{code="mailbox-storage-full"\} [1-9]/m);
    expect(text).toMatch(/^parley_relay_mailbox_operations_total\{op="put",result="ok"\} [1-9]/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});

describe('mailbox limits per client address and in time', () => {
  it('refuses puts over MAILBOX_IP_BYTES_PER_MINUTE from one address, not from another', async () => {
    const r = await startRelay({ mailboxIpBytesPerMinute: 8192, trustProxyHeader: 'x-forwarded-for' });
    try {
      const from = (ip: string) => Client.connect(r.wsUrl, { headers: { 'x-forwarded-for': ip } });
      const a = await from('198.51.100.1');
      const a2 = await from('198.51.100.1');
      const b = await from('198.51.100.2');
      const put = (c: Client) => request(c, { type: 'mailbox-put', address: newRoom(), data: blob(4096) });
      expect((await put(a)).type).toBe('mailbox-stored');
      expect((await put(a2)).type).toBe('mailbox-stored');
      expect(await put(a)).toMatchObject({ code: 'mailbox-quota' });
      expect(await put(a2)).toMatchObject({ code: 'mailbox-quota' }); // the quota is the address's, not the socket's
      expect((await put(b)).type).toBe('mailbox-stored');
      for (const c of [a, a2, b]) c.close();
    } finally {
      await r.relay.close();
    }
  });

  it('forgets blobs after MAILBOX_TTL_S', async () => {
    const r = await startRelay({ mailboxTtlS: 1 });
    try {
      const c = await Client.connect(r.wsUrl);
      const address = newRoom();
      await request(c, { type: 'mailbox-put', address, data: blob(1024) });
      expect((await request(c, { type: 'mailbox-fetch', address })).blobs).toHaveLength(1);
      await new Promise((res) => setTimeout(res, 1100)); // waits out the TTL; asserts no duration
      expect((await request(c, { type: 'mailbox-fetch', address })).blobs).toHaveLength(0);
      c.close();
    } finally {
      await r.relay.close();
    }
  });

  it('a mailbox flood from many sockets is refused by cap while a pair keeps talking', async () => {
    const r = await startRelay({ mailboxMaxTotalBytes: 256 * 1024, mailboxIpBytesPerMinute: 1 << 30 });
    const pair = await goodPair(r.wsUrl);
    try {
      const flooders = await Promise.all(Array.from({ length: 8 }, () => Client.connect(r.wsUrl)));
      const codes: string[] = [];
      const flood = Promise.all(
        flooders.map(async (c) => {
          for (let i = 0; i < 6; i++) {
            const m = await request(c, { type: 'mailbox-put', address: newRoom(), data: blob(16384) });
            codes.push(String(m.code ?? m.type));
          }
        }),
      );
      await Promise.all([flood, exchange(pair, 20)]);
      expect(codes.filter((c) => c === 'mailbox-stored')).toHaveLength(16); // 256 KiB / 16 KiB
      expect(codes.filter((c) => c === 'mailbox-storage-full')).toHaveLength(48 - 16);
      const metrics = await (await fetch(`${r.url}/metrics`)).text();
      expect(metrics).toMatch(/^parley_relay_mailbox_bytes 262144$/m);
      flooders.forEach((c) => c.close());
    } finally {
      pair.a.close();
      pair.b.close();
      await r.relay.close();
    }
  });
});

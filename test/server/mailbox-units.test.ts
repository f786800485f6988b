/**
 * Mailbox frames and the in-memory store (server/protocol-mailbox.ts, server/mailbox-store.ts;
 * docs/relay.md "Mailbox"): strict parsing (property tests like the room frames'), size classes,
 * and the store's caps, TTL, order, paging and acknowledgement, on a fake clock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../server/protocol';
import { MAILBOX_SIZE_CLASSES, MAX_ACK_IDS, base64urlLength, blobClass } from '../../server/protocol-mailbox';
import { MemoryMailbox } from '../../server/mailbox-store';
import { newRoom } from './helpers';

const blobOf = (size: number, fill = 'A'): string => fill.repeat(base64urlLength(size));

describe('parseClientMessage: mailbox frames', () => {
  const address = newRoom();
  it('accepts well-formed put, fetch and ack', () => {
    const data = blobOf(1024);
    expect(parseClientMessage(JSON.stringify({ type: 'mailbox-put', req: 'r1', address, data }))).toEqual({
      ok: true,
      message: { type: 'mailbox-put', req: 'r1', address, data },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'mailbox-fetch', req: 'a', address }))).toEqual({
      ok: true,
      message: { type: 'mailbox-fetch', req: 'a', address, after: null },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'mailbox-fetch', req: 'a', address, after: '17' }))).toMatchObject(
      {
        ok: true,
        message: { after: '17' },
      },
    );
    expect(
      parseClientMessage(JSON.stringify({ type: 'mailbox-ack', req: 'z', address, ids: ['1', '2', '2'] })),
    ).toEqual({
      ok: true,
      message: { type: 'mailbox-ack', req: 'z', address, ids: ['1', '2'] },
    });
    expect(parseClientMessage(JSON.stringify({ type: 'hello', protocol: 2 }))).toEqual({
      ok: true,
      message: { type: 'hello', protocol: 2 },
    });
  });

  it('refuses every malformed mailbox frame as fatal, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'mailbox-put', address, data: 'AAAA' }, /req/],
      [{ type: 'mailbox-put', req: 'x'.repeat(17), address, data: 'AAAA' }, /req/],
      [{ type: 'mailbox-put', req: 'a b', address, data: 'AAAA' }, /req/],
      [{ type: 'mailbox-put', req: 'a', address: 'short', data: 'AAAA' }, /address/],
      [{ type: 'mailbox-put', req: 'a', address, data: 'AAAA==' }, /data/],
      [{ type: 'mailbox-put', req: 'a', address, data: '' }, /data/],
      [{ type: 'mailbox-put', req: 'a', address, data: 7 }, /data/],
      [{ type: 'mailbox-fetch', req: 'a', address, after: '0' }, /after/],
      [{ type: 'mailbox-fetch', req: 'a', address, after: 5 }, /after/],
      [{ type: 'mailbox-ack', req: 'a', address, ids: [] }, /ids/],
      [{ type: 'mailbox-ack', req: 'a', address, ids: '1' }, /ids/],
      [{ type: 'mailbox-ack', req: 'a', address, ids: ['01'] }, /id/],
      [
        { type: 'mailbox-ack', req: 'a', address, ids: Array.from({ length: MAX_ACK_IDS + 1 }, (_, i) => `${i + 1}`) },
        /ids/,
      ],
      [{ type: 'hello', protocol: 0 }, /protocol/],
      [{ type: 'hello', protocol: '2' }, /protocol/],
    ];
    for (const [frame, reason] of bad) {
      const r = parseClientMessage(JSON.stringify(frame));
      expect(r).toMatchObject({ ok: false, fatal: true });
      expect(!r.ok && r.fatal && r.reason).toMatch(reason);
    }
  });

  it('never throws and never accepts a put whose fields are not the right shape (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          type: fc.constantFrom('mailbox-put', 'mailbox-fetch', 'mailbox-ack'),
          req: fc.oneof(fc.string(), fc.integer()),
          address: fc.oneof(fc.constant(address), fc.string()),
          data: fc.oneof(fc.string(), fc.constant(blobOf(1024))),
          after: fc.oneof(fc.constant(undefined), fc.string(), fc.nat()),
          ids: fc.oneof(fc.array(fc.string()), fc.array(fc.nat().map(String))),
        }),
        (frame) => {
          const r = parseClientMessage(JSON.stringify(frame));
          if (!r.ok) return;
          const m = r.message as Record<string, unknown>;
          expect(m.req).toMatch(/^[A-Za-z0-9_-]{1,16}$/);
          expect(m.address).toMatch(/^[A-Za-z0-9_-]{43}$/);
          if (m.type === 'mailbox-put') expect(m.data).toMatch(/^[A-Za-z0-9_-]+$/);
          if (m.type === 'mailbox-ack') for (const id of m.ids as string[]) expect(id).toMatch(/^[1-9][0-9]*$/);
        },
      ),
    );
  });
});

describe('blobClass', () => {
  it('accepts exactly the base64url lengths of the size classes up to the maximum', () => {
    for (const size of MAILBOX_SIZE_CLASSES) expect(blobClass(blobOf(size), 32768)).toBe(size);
    expect(blobClass(blobOf(32768), 16384)).toBe('too-large');
    expect(blobClass(blobOf(1024) + 'A', 32768)).toBe('bad-size');
    expect(blobClass('AAAA', 32768)).toBe('bad-size');
    expect(blobClass(blobOf(40000), 32768)).toBe('too-large');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), (n) => {
        const r = blobClass('A'.repeat(n), 32768);
        if (typeof r === 'number') expect(base64urlLength(r)).toBe(n);
      }),
    );
  });
});

describe('MemoryMailbox', () => {
  const limits = { maxBlobs: 3, ttlMs: 60_000, maxTotalBytes: 4 * 4096 };
  const clock = () => {
    const c = { t: 1_000_000, now: () => c.t };
    return c;
  };

  it('hands blobs out in put order with increasing ids, pages with after, and deletes what is acknowledged', async () => {
    const c = clock();
    const m = new MemoryMailbox(limits, c.now);
    const a = newRoom();
    const ids = [];
    for (const fill of ['A', 'B', 'C']) {
      const r = await m.put(a, blobOf(1024, fill), 1024);
      expect(r.ok).toBe(true);
      if (r.ok) ids.push(r.id);
    }
    expect(ids).toEqual(['1', '2', '3']);
    const page = await m.fetch(a, null, base64urlLength(1024) * 2);
    expect(page.blobs.map((b) => b.id)).toEqual(['1', '2']);
    expect(page.more).toBe(true);
    expect((await m.fetch(a, '2', 1e9)).blobs.map((b) => b.data[0])).toEqual(['C']);
    expect(await m.ack(a, ['1', '3', '99'])).toBe(2);
    expect((await m.fetch(a, null, 1e9)).blobs.map((b) => b.id)).toEqual(['2']);
    expect(await m.stats()).toEqual({ blobs: 1, bytes: 1024 });
    // Ids do not restart while the address may still be paged, even once it is empty.
    await m.ack(a, ['2']);
    expect(await m.put(a, blobOf(1024), 1024)).toEqual({ ok: true, id: '4' });
    await m.close();
  });

  it('refuses the blob after MAILBOX_MAX_BLOBS at one address, and more than the total in all', async () => {
    const m = new MemoryMailbox(limits, clock().now);
    const a = newRoom();
    for (let i = 0; i < 3; i++) expect((await m.put(a, blobOf(4096), 4096)).ok).toBe(true);
    expect(await m.put(a, blobOf(1024), 1024)).toEqual({ ok: false, code: 'mailbox-full' });
    expect((await m.put(newRoom(), blobOf(4096), 4096)).ok).toBe(true);
    expect(await m.put(newRoom(), blobOf(1024), 1024)).toEqual({ ok: false, code: 'mailbox-storage-full' });
    expect(await m.stats()).toEqual({ blobs: 4, bytes: 4 * 4096 });
    await m.close();
  });

  it('forgets blobs after the TTL (frees their room and bytes) and forgets empty addresses later', async () => {
    const c = clock();
    const m = new MemoryMailbox(limits, c.now);
    const a = newRoom();
    await m.put(a, blobOf(1024, 'A'), 1024);
    c.t += 30_000;
    await m.put(a, blobOf(1024, 'B'), 1024);
    c.t += 30_000; // the first is exactly TTL old
    expect((await m.fetch(a, null, 1e9)).blobs.map((b) => b.data[0])).toEqual(['B']);
    expect(await m.stats()).toEqual({ blobs: 1, bytes: 1024 });
    c.t += 30_000;
    m.sweep();
    expect(await m.stats()).toEqual({ blobs: 0, bytes: 0 });
    expect(await m.put(a, blobOf(1024), 1024)).toEqual({ ok: true, id: '1' }); // forgotten: a fresh address
    await m.close();
  });
});

/**
 * The file-key adapter (docs/files.md §9) over in-memory link ends that encode and decode every
 * message (test/net/memory-link.ts): round trip in order, nothing leaves before the own key,
 * waiting bytes counted, tampering/dropping/reflection → FILE_KEY_TAMPERED, bounded queues.
 */
import { describe, expect, it } from 'vitest';
import { encodeWire, MAX_TRANSFER_WIRE_BYTES, type WireMessage } from '../../src/core/wire';
import { CHUNK_HEADER_BYTES, MAX_CHUNK_SIZE } from '../../src/core/transfer-codec';
import { FileKeyLink, FILE_KEY_TAG_BYTES } from '../../src/net/file-key-link';
import type { LinkCloseEvent } from '../../src/net/secure-link';
import type { KxRole } from '../../src/core/kx';
import { linkPair, type MemoryLink, type PairOptions } from './memory-link';

function closable(l: MemoryLink): MemoryLink & { close(): Promise<void> } {
  return Object.assign(l, { close: async () => l.cut() });
}

function setup(o: PairOptions = {}, roles: [KxRole, KxRole] = ['initiator', 'responder'], max?: number) {
  const [la, lb] = linkPair(o);
  const a = new FileKeyLink(closable(la), roles[0], { maxWaitingBytes: max });
  const b = new FileKeyLink(closable(lb), roles[1], { maxWaitingBytes: max });
  const got: Uint8Array[] = [];
  b.onMessage((m) => {
    if (m.type === 'transfer') got.push(m.data);
  });
  const closed = new Promise<LinkCloseEvent>((r) => b.onClose(r));
  const exchange = () => {
    a.ownKeySent();
    b.ownKeySent();
    a.installPeerKey(b.ownKey);
    b.installPeerKey(a.ownKey);
  };
  return { la, lb, a, b, got, closed, exchange };
}

const msg = (i: number, n = 1000): WireMessage => ({ type: 'transfer', data: new Uint8Array(n).fill(i & 0xff) });
const until = async (f: () => boolean) => {
  while (!f()) await new Promise((r) => setTimeout(r, 1));
};

describe('file-key adapter', () => {
  it('round trip in order; nothing leaves before the own key is sent, and the waiting bytes count in bufferedAmount', async () => {
    const { la, lb, a, got, exchange } = setup();
    const sends = Array.from({ length: 20 }, (_, i) => a.send(msg(i, 100 + i)));
    expect(a.bufferedAmount).toBe(20 * 100 + 190);
    await new Promise((r) => setTimeout(r, 5));
    expect(la.queue.length + lb.received.length).toBe(0);
    exchange();
    await Promise.all(sends);
    await until(() => got.length === 20);
    got.forEach((d, i) => expect(d).toEqual((msg(i, 100 + i) as { data: Uint8Array }).data));
    // On the wire: ciphertext, one tag longer, not the plaintext.
    lb.received.forEach((m, i) => {
      if (m.type !== 'transfer') throw new Error('expected transfer');
      expect(m.data.length).toBe(100 + i + FILE_KEY_TAG_BYTES);
      expect(Buffer.from(m.data).includes(Buffer.from(new Uint8Array(50).fill(i)))).toBe(false);
    });
  });

  it('incoming messages wait for the peer key and come out in order once it is installed', async () => {
    const { a, b, got } = setup();
    a.ownKeySent();
    for (let i = 0; i < 5; i++) void a.send(msg(i));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toHaveLength(0);
    b.installPeerKey(a.ownKey);
    await until(() => got.length === 5);
    expect(got.map((d) => d[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('a flipped bit in a transfer message closes the link with FILE_KEY_TAMPERED and passes no bytes on', async () => {
    let n = 0;
    const { a, b, got, closed, exchange } = setup({
      tamper: (m) => {
        if (m.type === 'transfer' && n++ === 2) {
          const d = m.data.slice();
          d[7]! ^= 1;
          return { type: 'transfer', data: d };
        }
        return m;
      },
    });
    exchange();
    for (let i = 0; i < 5; i++) void a.send(msg(i)).catch(() => {});
    const e = await closed;
    expect(e.failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(b.failure?.code).toBe('FILE_KEY_TAMPERED');
    await new Promise((r) => setTimeout(r, 10));
    expect(got.map((d) => d[0])).toEqual([0, 1]);
  });

  it('a dropped transfer message makes the next one fail (the counter is the nonce): FILE_KEY_TAMPERED', async () => {
    let n = 0;
    const { a, got, closed, exchange } = setup({ tamper: (m) => (m.type === 'transfer' && n++ === 1 ? null : m) });
    exchange();
    for (let i = 0; i < 3; i++) void a.send(msg(i)).catch(() => {});
    expect((await closed).failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(got.map((d) => d[0])).toEqual([0]);
  });

  it('the AAD binds the direction: two sides claiming the same role refuse each other', async () => {
    const { a, got, closed, exchange } = setup({}, ['initiator', 'initiator']);
    exchange();
    void a.send(msg(1)).catch(() => {});
    expect((await closed).failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(got).toHaveLength(0);
  });

  it('more than the bound arriving before the peer key closes the link with FILE_KEY_QUEUE_FULL', async () => {
    const { a, got, closed } = setup({}, undefined, 4000);
    a.ownKeySent();
    for (let i = 0; i < 5; i++) void a.send(msg(i)).catch(() => {});
    expect((await closed).failure?.code).toBe('FILE_KEY_QUEUE_FULL');
    expect(got).toHaveLength(0);
  });

  it('more than the bound waiting for the own key is refused at send, the rest still goes', async () => {
    const { a, got, exchange } = setup({}, undefined, 3000);
    const first = [0, 1, 2].map((i) => a.send(msg(i)));
    await expect(a.send(msg(3))).rejects.toThrow(RangeError);
    expect(a.bufferedAmount).toBe(3000);
    exchange();
    await Promise.all(first);
    await until(() => got.length === 3);
    expect(got.map((d) => d[0])).toEqual([0, 1, 2]);
  });

  it('a second file key on one link is a protocol error (FILE_KEY_PROTOCOL)', async () => {
    const { a, b, closed } = setup();
    b.installPeerKey(a.ownKey);
    b.installPeerKey(a.ownKey);
    expect((await closed).failure?.code).toBe('FILE_KEY_PROTOCOL');
  });

  it('the largest chunk message, encrypted, still fits one transfer wire message', async () => {
    const { a, lb, exchange } = setup({ capacity: 1 << 20, bytesPerTick: 1 << 20 });
    exchange();
    const largest = CHUNK_HEADER_BYTES + MAX_CHUNK_SIZE;
    await a.send({ type: 'transfer', data: new Uint8Array(largest) });
    await until(() => lb.received.length === 1);
    const m = lb.received[0]!;
    expect(encodeWire(m).length).toBe(largest + FILE_KEY_TAG_BYTES + 8);
    expect(encodeWire(m).length).toBeLessThanOrEqual(MAX_TRANSFER_WIRE_BYTES);
  });
});

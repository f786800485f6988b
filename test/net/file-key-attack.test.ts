/**
 * Attack test (docs/session.md §6): someone who stands in a link — holds the SHS keys, so sees
 * and may rewrite the plaintexts of the secure frames, i.e. the wire messages — reads no file
 * bytes and cannot alter them. Real links (node-datachannel on loopback, a real relay, SHS,
 * secure frames), a real session setup (`setUpSession`), the file keys sent inside the real
 * Double Ratchet (`file-key` sealed with `encrypt`, opened with `decrypt` — the steps
 * `LinkTraffic` + `ContactSessions` take, without IndexedDB), and real TransferManagers on the
 * file-key adapters. The attacker's view is every wire message and every sealed chunk either
 * link delivers (test/support/keyed-links.ts).
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { encodeWire, type WireMessage } from '../../src/core/wire';
import type { LinkCloseEvent } from '../../src/net/secure-link';
import { testManager } from '../support/transfer-manager';
import { keyed, pair, type Attacker } from '../support/keyed-links';

const MARKER = Buffer.from('PARLEY-FILE-PLAINTEXT-MARKER-7f3a9c');

function plantedFile(): Buffer {
  const f = randomBytes(3 * (1 << 20) + 77);
  for (const at of [0, 100_000, 1 << 20, f.length - MARKER.length]) MARKER.copy(f, at);
  return f;
}

describe('file keys inside the ratchet, over real links', () => {
  it('an observer of the secure-frame plaintexts sees no file bytes; the file still arrives intact', async () => {
    const at: Attacker = { seen: [], seenChunks: [] };
    const { a, b } = await keyed(await pair(), at);
    const alice = await testManager('bob'),
      bob = await testManager('alice');
    alice.m.attach(a);
    bob.m.attach(b);
    const f = plantedFile();
    const id = await alice.m.send([new File([new Uint8Array(f)], 'secret.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'complete');
    expect(Buffer.from(bob.store.bytes(id, 0)!).equals(f)).toBe(true);
    const transfers = at.seen.filter((m): m is Extract<WireMessage, { type: 'transfer' }> => m.type === 'transfer');
    expect(transfers.length).toBeGreaterThan(3); // offer, accept, hashes, acks, complete
    expect(at.seenChunks.length).toBeGreaterThan(12); // the file data, sealed once (docs/files.md §10)
    for (const m of at.seen) expect(Buffer.from(encodeWire(m)).includes(MARKER)).toBe(false);
    for (const m of at.seenChunks) expect(Buffer.from(m).includes(MARKER)).toBe(false);
    // The scan finds the marker where it is in the clear (the scan itself works).
    expect(f.includes(MARKER)).toBe(true);
  });

  it('a transfer message rewritten by the observer is refused: FILE_KEY_TAMPERED, the link closes, the file is not complete', async () => {
    let n = 0;
    const rewrite = (m: WireMessage): WireMessage => {
      if (m.type !== 'transfer' || ++n !== 2) return m;
      const d = m.data.slice();
      d[d.length >> 1]! ^= 0x40;
      return { type: 'transfer', data: d };
    };
    const { a, b } = await keyed(await pair(), { seen: [], seenChunks: [] }, { seen: [], seenChunks: [], rewrite });
    const closed = new Promise<LinkCloseEvent>((r) => b.onClose(r));
    const alice = await testManager('bob'),
      bob = await testManager('alice');
    alice.m.attach(a);
    bob.m.attach(b);
    const id = await alice.m.send([new File([new Uint8Array(plantedFile())], 'secret.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    const e = await closed;
    expect(e.failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(b.failure?.code).toBe('FILE_KEY_TAMPERED');
    expect(bob.events.some((x) => x.type === 'complete')).toBe(false);
    expect(n).toBeGreaterThanOrEqual(2);
  });
});

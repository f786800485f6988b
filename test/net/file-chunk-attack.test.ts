/**
 * Attack tests for sealed file chunks (docs/files.md §10, docs/security.md "Files: one AEAD
 * layer") over real links: node-datachannel on loopback, a real relay, SHS, secure frames, a real
 * session setup, file keys inside the real Double Ratchet, real TransferManagers on the file-key
 * adapters. The attacker sits in the receiver's inbound path (test/support/keyed-links.ts) and
 * rewrites, moves, replays or swaps sealed chunks; each such chunk is refused, fetched again, and
 * the file arrives byte-identical.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CHUNK_HEADER_BYTES, readChunkHeader } from '../../src/core/file-chunk';
import { DEFAULT_GLUE_CHUNK_SIZE, type ChunkArrival } from '../../src/net/transfers';
import type { FileKeyLink } from '../../src/net/file-key-link';
import { testManager } from '../support/transfer-manager';
import { keyed, pair, type Attacker } from '../support/keyed-links';

const CS = DEFAULT_GLUE_CHUNK_SIZE;
type Mgr = Awaited<ReturnType<typeof testManager>>;

/** Header fields of a sealed chunk, rewritten as an attacker moving it would. */
function rewritten(m: Uint8Array, o: { id?: Uint8Array; file?: number; index?: number }): Uint8Array {
  const c = m.slice();
  const v = new DataView(c.buffer);
  if (o.id) c.set(o.id, 10);
  if (o.file !== undefined) v.setUint16(26, o.file);
  if (o.index !== undefined) {
    v.setUint32(28, o.index);
    v.setBigUint64(32, BigInt(o.index * CS));
  }
  return c;
}
const where = (m: Uint8Array) => readChunkHeader(m)!;

describe('sealed file chunks under attack, over real links', () => {
  const atB: Attacker = { seen: [], seenChunks: [] };
  let alice: Mgr, bob: Mgr, b: FileKeyLink;
  const arrivals: ChunkArrival[] = [];

  // A fresh keyed link pair per test: the link fixture closes links after each test.
  beforeEach(async () => {
    atB.seenChunks.length = 0;
    const keyedLinks = await keyed(await pair(), { seen: [], seenChunks: [] }, atB);
    b = keyedLinks.b;
    alice = await testManager('bob');
    bob = await testManager('alice');
    alice.m.attach(keyedLinks.a);
    bob.m.attach(b);
    b.onChunk((c) => arrivals.push(c));
  }, 60_000);
  afterEach(async () => {
    await alice?.m.close();
    await bob?.m.close();
  });

  /** Sends `files`, lets `attack` rewrite the chunks Bob receives; returns the id once complete, checked byte for byte. */
  async function transfer(files: Buffer[], attack?: (m: Uint8Array) => Uint8Array[]): Promise<string> {
    atB.rewriteChunk = attack;
    arrivals.length = 0;
    const id = await alice.m.send(files.map((f, i) => new File([new Uint8Array(f)], `f${i}.bin`)));
    await bob.until((e) => e.type === 'offered' && e.id === id);
    await bob.m.accept(id);
    await bob.until((e) => e.type === 'complete' && e.id === id);
    atB.rewriteChunk = undefined;
    files.forEach((f, i) => expect(Buffer.from(bob.store.bytes(id, i)!).equals(f)).toBe(true));
    return id;
  }
  const refetched = (id: string) =>
    bob.events.filter((e) => e.type === 'refetch' && e.id === id).map((e) => e.type === 'refetch' && e.index);
  const refusals = () => arrivals.filter((c) => !c.ok).map((c) => !c.ok && c.code);

  it('a chunk with a flipped bit is refused (CHUNK_TAMPERED) and fetched again', async () => {
    let n = 0;
    const id = await transfer([randomBytes(4 * CS + 77)], (m) => {
      if (++n !== 2) return [m];
      const bad = m.slice();
      bad[CHUNK_HEADER_BYTES + 1000]! ^= 0x01;
      return [bad];
    });
    expect(refusals()).toEqual(['CHUNK_TAMPERED']);
    expect(refetched(id)).toEqual([1]);
  }, 60_000);

  it('a chunk moved to another offset is refused and the chunk it displaced is fetched again', async () => {
    let prev: Uint8Array | null = null,
      done = false;
    const id = await transfer([randomBytes(4 * CS + 77)], (m) => {
      const h = where(m);
      if (h.index === 2 && prev && !done && (done = true)) return [rewritten(prev, { index: 2 })]; // chunk 1's bytes claim chunk 2's place
      prev = m;
      return [m];
    });
    expect(refusals()).toEqual(['CHUNK_TAMPERED']);
    expect(refetched(id)).toEqual([2]);
  }, 60_000);

  it('a chunk moved to another file of the transfer is refused and fetched again', async () => {
    const first: Uint8Array[] = [];
    let done = false;
    const id = await transfer([randomBytes(2 * CS + 5), randomBytes(2 * CS + 9)], (m) => {
      const h = where(m);
      if (h.file === 0) first.push(m);
      if (h.file === 1 && h.index === 1 && !done && (done = true)) return [rewritten(first[1]!, { file: 1 })];
      return [m];
    });
    expect(refusals()).toEqual(['CHUNK_TAMPERED']);
    expect(refetched(id)).toEqual([1]);
  }, 60_000);

  it('a chunk replayed is refused (CHUNK_REPLAYED); one held back and sent late is refused and fetched again', async () => {
    let held: Uint8Array | null = null,
      replayed = false,
      late = false;
    const id = await transfer([randomBytes(5 * CS + 1)], (m) => {
      const h = where(m);
      if (h.index === 1 && !replayed && (replayed = true)) return [m, m]; // replayed at once
      if (h.index === 2 && !held) {
        held = m;
        return [];
      }
      if (h.index === 3 && held && !late && (late = true)) return [m, held]; // chunk 2 after chunk 3: its seq is no longer fresh
      return [m];
    });
    expect(refusals()).toEqual(['CHUNK_REPLAYED', 'CHUNK_REPLAYED']);
    expect(refetched(id)).toEqual([2]);
  }, 60_000);

  it('a chunk taken from another transfer is refused and fetched again', async () => {
    const file = randomBytes(3 * CS + 3);
    const old = await transfer([file]); // the same bytes, sent before under the same file key
    const oldChunks = atB.seenChunks.filter((m) => Buffer.from(where(m).id).toString('hex') === old);
    expect(oldChunks.length).toBeGreaterThanOrEqual(4);
    let newId: Uint8Array | null = null,
      done = false;
    const id = await transfer([file], (m) => {
      const h = where(m);
      newId ??= h.id.slice();
      return h.index === 1 && !done && (done = true) ? [oldChunks[0]!, rewritten(oldChunks[1]!, { id: newId })] : [m];
    });
    // the old chunk as it was goes to the old transfer, which no longer needs it; relabelled, it does not open
    expect(refusals()).toEqual(['CHUNK_REPLAYED', 'CHUNK_TAMPERED']);
    expect(refetched(id)).toEqual([1]);
    expect(refetched(old)).toEqual([]);
  }, 60_000);
});

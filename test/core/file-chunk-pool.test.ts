/**
 * The sealer's message buffers (docs/files.md §13): a buffer is written again only after its
 * message was released, every message opens to its own bytes however seals and releases
 * interleave, and releasing anything else changes nothing.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChunkOpener, ChunkSealer, SEALER_POOL_BUFFERS, type ChunkPlace } from '../../src/core/file-chunk';

const KEY = new Uint8Array(32).fill(5);
const at = (index: number): ChunkPlace => ({ id: new Uint8Array(16).fill(1), file: 0, index, offset: index * 1000 });
const chunk = (index: number, len = 1000) => new Uint8Array(len).fill(index & 0xff);

async function ends() {
  return { sealer: await ChunkSealer.create(KEY, 'initiator'), opener: await ChunkOpener.create(KEY, 'initiator') };
}

async function opensTo(opener: ChunkOpener, m: Uint8Array, index: number): Promise<void> {
  const r = await opener.open(m.slice()); // what a data channel delivers: a copy taken at send
  expect(r.ok).toBe(true);
  if (r.ok) expect([r.chunk.index, r.chunk.bytes[0], r.chunk.bytes.length]).toEqual([index, index & 0xff, 1000]);
}

describe('sealed chunk message buffers', () => {
  it('a released message lends its buffer to the next seal; one not released is never written again', async () => {
    const { sealer, opener } = await ends();
    const kept = await sealer.seal(at(0), chunk(0));
    const copy = kept.slice();
    const first = await sealer.seal(at(1), chunk(1));
    sealer.release(first);
    const second = await sealer.seal(at(2), chunk(2));
    expect(second.buffer).toBe(first.buffer);
    expect(second.buffer).not.toBe(kept.buffer);
    for (let i = 3; i < 3 + 2 * SEALER_POOL_BUFFERS; i++) sealer.release(await sealer.seal(at(i), chunk(i)));
    expect(kept).toEqual(copy); // never released: untouched by all the seals after it
    await opensTo(opener, kept, 0);
  });

  it('takes back only its own messages, once each, and keeps at most SEALER_POOL_BUFFERS', async () => {
    const { sealer } = await ends();
    const other = await (await ends()).sealer.seal(at(0), chunk(0));
    sealer.release(other); // another sealer's message
    sealer.release(new Uint8Array(262144)); // a stranger's array
    const a = await sealer.seal(at(0), chunk(0));
    expect(a.buffer).not.toBe(other.buffer);
    sealer.release(a);
    sealer.release(a); // twice: still one buffer to lend
    const [b, c] = [await sealer.seal(at(1), chunk(1)), await sealer.seal(at(2), chunk(2))];
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
    const many: Uint8Array[] = [];
    for (let i = 0; i < SEALER_POOL_BUFFERS + 4; i++) many.push(await sealer.seal(at(i), chunk(i)));
    for (const m of many) sealer.release(m);
    const again: ArrayBufferLike[] = [];
    for (let i = 0; i < SEALER_POOL_BUFFERS + 4; i++) again.push((await sealer.seal(at(i), chunk(i))).buffer);
    const reused = again.filter((x) => many.some((m) => m.buffer === x));
    expect(reused.length).toBe(SEALER_POOL_BUFFERS);
  });

  it('every message opens to its own chunk, whatever order seals and releases come in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), async (releases) => {
        const { sealer, opener } = await ends();
        const live: [Uint8Array, number][] = [];
        for (const [i, release] of releases.entries()) {
          const sealing = sealer.seal(at(i), chunk(i)); // several in flight before any resolves
          if (release && live.length) sealer.release(live.shift()![0]);
          live.push([await sealing, i]);
        }
        // Only live (unreleased) messages are still read: each must open to its own chunk.
        for (const [m, i] of live) await opensTo(opener, m, i);
      }),
      { numRuns: 40 },
    );
  });
});

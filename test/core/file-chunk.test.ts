/**
 * Sealed file chunks (src/core/file-chunk.ts, docs/files.md §10): the vector checked against
 * node's own AES-GCM from the documented layout, round trips and single flipped bits (fast-check),
 * and the attacks the associated data and the seq rule exist for: a chunk moved to another
 * offset, index, file or transfer, reflected to its sender, replayed, or under another key.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDecipheriv } from 'node:crypto';
import vector from '../vectors/parley-file-chunk.json';
import {
  CHUNK_HEADER_BYTES,
  CHUNK_OVERHEAD,
  ChunkOpener,
  ChunkSealer,
  readChunkHeader,
  type ChunkPlace,
  type ChunkRole,
} from '../../src/core/file-chunk';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const KEY = new Uint8Array(32).fill(7);
const place = (o: Partial<ChunkPlace> = {}): ChunkPlace => ({
  id: new Uint8Array(16).fill(9),
  file: 1,
  index: 3,
  offset: 3 * 65472,
  ...o,
});

async function ends(role: ChunkRole = 'initiator', backend: 'webcrypto' | 'noble' = 'webcrypto') {
  return {
    sealer: await ChunkSealer.create(KEY, role, backend),
    opener: await ChunkOpener.create(KEY, role, backend),
  };
}

/** Overwrites header fields of a sealed message, as an attacker moving it would. */
function moved(m: Uint8Array, o: { id?: Uint8Array; file?: number; index?: number; offset?: number }): Uint8Array {
  const c = m.slice();
  const v = new DataView(c.buffer);
  if (o.id) c.set(o.id, 10);
  if (o.file !== undefined) v.setUint16(26, o.file);
  if (o.index !== undefined) v.setUint32(28, o.index);
  if (o.offset !== undefined) v.setBigUint64(32, BigInt(o.offset));
  return c;
}

describe('sealed file chunks', () => {
  it('matches the vector, which node:crypto opens from the documented nonce and associated data', async () => {
    const sealer = await ChunkSealer.create(hex(vector.key), 'initiator');
    await sealer.seal(place({ id: hex(vector.id), file: 0, index: 0, offset: 0 }), new Uint8Array(3));
    const m = await sealer.seal(
      { id: hex(vector.id), file: vector.file, index: vector.index, offset: vector.offset },
      hex(vector.plaintext),
    );
    expect(Buffer.from(m).toString('hex')).toBe(vector.message);
    const msg = hex(vector.message);
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(1, 0);
    nonce.writeBigUInt64BE(BigInt(vector.seq), 4);
    const d = createDecipheriv('aes-256-gcm', hex(vector.key), nonce);
    d.setAAD(
      Buffer.concat([Buffer.from('parley/file-chunk/v1'), Buffer.from([1]), msg.subarray(0, CHUNK_HEADER_BYTES)]),
    );
    d.setAuthTag(msg.subarray(msg.length - 16));
    const pt = Buffer.concat([d.update(msg.subarray(CHUNK_HEADER_BYTES, msg.length - 16)), d.final()]);
    expect(pt.toString('hex')).toBe(vector.plaintext);
    const opener = await ChunkOpener.create(hex(vector.key), 'initiator');
    const r = await opener.open(msg);
    expect(r.ok && Buffer.from(r.chunk.bytes).toString('hex')).toBe(vector.plaintext);
  });

  it('round-trips any place and bytes, in order, on both backends (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.uint8Array({ minLength: 16, maxLength: 16 }),
            file: fc.integer({ min: 0, max: 0xffff }),
            index: fc.nat(),
            offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
            bytes: fc.uint8Array({ maxLength: 3000 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        fc.constantFrom('webcrypto' as const, 'noble' as const),
        async (chunks, backend) => {
          const { sealer, opener } = await ends('responder', backend);
          const sealed = chunks.map(({ bytes, ...p }) => sealer.seal(p, bytes));
          for (const [i, s] of sealed.entries()) {
            const m = await s;
            expect(m.length).toBe(chunks[i]!.bytes.length + CHUNK_OVERHEAD);
            const h = readChunkHeader(m)!;
            expect([h.seq, h.file, h.index, h.offset]).toEqual([
              i,
              chunks[i]!.file,
              chunks[i]!.index,
              chunks[i]!.offset,
            ]);
            const r = await opener.open(m);
            expect(r.ok).toBe(true);
            if (r.ok) {
              expect(r.chunk.bytes).toEqual(chunks[i]!.bytes);
              expect(r.chunk.id).toEqual(chunks[i]!.id);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses a message with any one bit flipped, and names the place it claimed (property)', async () => {
    const { sealer } = await ends();
    const m = await sealer.seal(place(), new Uint8Array(200).fill(0x5a));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: m.length * 8 - 1 }), async (bit) => {
        const { opener } = await ends();
        const bad = m.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        const r = await opener.open(bad);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['CHUNK_TAMPERED', 'CHUNK_MALFORMED']).toContain(r.code);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a chunk moved to another offset, index, file or transfer', async () => {
    const { sealer, opener } = await ends();
    const m = await sealer.seal(place(), new Uint8Array(100).fill(1));
    for (const change of [
      { offset: 4 * 65472 },
      { index: 4, offset: 4 * 65472 },
      { file: 2 },
      { id: new Uint8Array(16).fill(8) },
    ]) {
      const r = await opener.open(moved(m, change));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe('CHUNK_TAMPERED');
        expect(r.claimed).toMatchObject({ ...place(), ...change }); // what the header claims: it is asked for again
      }
    }
    expect((await opener.open(m)).ok).toBe(true); // the original still opens
  });

  it('refuses a replayed chunk and an older one after a newer, but not a gap', async () => {
    const { sealer, opener } = await ends();
    const [a, b, c] = await Promise.all([0, 1, 2].map((i) => sealer.seal(place({ index: i }), new Uint8Array([i]))));
    expect((await opener.open(a!)).ok).toBe(true);
    const again = await opener.open(a!);
    expect(!again.ok && again.code).toBe('CHUNK_REPLAYED');
    expect((await opener.open(c!)).ok).toBe(true); // b dropped: a gap is the transfer's business
    const late = await opener.open(b!);
    expect(!late.ok && late.code).toBe('CHUNK_REPLAYED');
  });

  it('refuses a chunk reflected to its sender, and one under another key', async () => {
    const sealer = await ChunkSealer.create(KEY, 'initiator');
    const m = await sealer.seal(place(), new Uint8Array(10));
    const reflected = await (await ChunkOpener.create(KEY, 'responder')).open(m);
    expect(!reflected.ok && reflected.code).toBe('CHUNK_TAMPERED');
    const other = await (await ChunkOpener.create(new Uint8Array(32).fill(8), 'initiator')).open(m);
    expect(!other.ok && other.code).toBe('CHUNK_TAMPERED');
  });

  it('refuses what is not a sealed chunk without trying to open it, and checks its arguments', async () => {
    const { sealer, opener } = await ends();
    const m = await sealer.seal(place(), new Uint8Array(10));
    for (const bad of [m.subarray(0, CHUNK_OVERHEAD - 1), moved(m, {}).fill(2, 1, 2), new Uint8Array(262145)]) {
      const r = await opener.open(bad);
      expect(!r.ok && r.code).toBe('CHUNK_MALFORMED');
      expect(!r.ok && r.claimed).toBe(null);
    }
    expect(() => sealer.seal(place({ file: 0x10000 }), new Uint8Array(1))).toThrow(/place.file/);
    expect(() => sealer.seal(place({ id: new Uint8Array(15) }), new Uint8Array(1))).toThrow(/place.id/);
    expect(() => sealer.seal(place(), new Uint8Array(262144 - CHUNK_OVERHEAD + 1))).toThrow(/bytes/);
  });
});

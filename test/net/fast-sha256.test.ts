import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { createFastSha256 } from '../../src/net/fast-sha256';
import { prepareFile } from '../../src/core/transfer';
import { pseudoRandomBytes } from '../core/transfer-harness';

describe('fast whole-file SHA-256', () => {
  it('is the WebAssembly one here and agrees with @noble over any split of the bytes; peek leaves the state alone (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 6 }), async (parts) => {
        const h = await createFastSha256();
        expect(h.impl).toBe('wasm');
        const all: number[] = [];
        for (const p of parts) {
          h.update(p);
          all.push(...p);
          expect(Buffer.from(h.peek()).toString('hex')).toBe(Buffer.from(sha256(Uint8Array.from(all))).toString('hex'));
        }
        expect(Buffer.from(h.digest()).toString('hex')).toBe(Buffer.from(sha256(Uint8Array.from(all))).toString('hex'));
      }),
      { numRuns: 50 },
    );
  });

  it('prepareFile with it gives the same offer as with @noble, and really uses the hash it is given', async () => {
    const data = pseudoRandomBytes(300_000, 4);
    const base = {
      fileIndex: 0,
      name: 'f',
      type: '',
      size: data.length,
      chunkSize: 65_472,
      readSlice: async (_: number, s: number, e: number) => data.slice(s, e),
    };
    const noble = await prepareFile(base);
    const wasm = await prepareFile({ ...base, whole: await createFastSha256() });
    expect(wasm.offer).toEqual(noble.offer);
    expect(wasm.offer.sha256).toEqual(sha256(data));
    const fed: number[] = [];
    const marker = new Uint8Array(32).fill(7);
    const spy = await prepareFile({
      ...base,
      whole: {
        update: (b) => {
          fed.push(b.length);
        },
        digest: () => marker,
      },
    });
    expect(spy.offer.sha256).toEqual(marker);
    expect(fed.reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(spy.chunkHashes).toEqual(noble.chunkHashes);
  });
});

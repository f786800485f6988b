import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { createFastSha256, fastRunningHashes } from '../../src/net/fast-sha256';

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

  it("the sender's running hash: saved and loaded at any point, it agrees with @noble; a state it cannot read is refused (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.uint8Array({ maxLength: 3000 }), async (a, b) => {
        const h = await fastRunningHashes.create();
        h.update(a);
        const saved = h.save();
        expect(saved[0]).toBe(1); // the WebAssembly state here
        const g = await fastRunningHashes.load(saved);
        g.update(b);
        const all = new Uint8Array(a.length + b.length);
        all.set(a);
        all.set(b, a.length);
        expect(Buffer.from(g.digest()).toString('hex')).toBe(Buffer.from(sha256(all)).toString('hex'));
      }),
      { numRuns: 50 },
    );
    await expect(fastRunningHashes.load(new Uint8Array([9, 1, 2]))).rejects.toThrow(/saved/);
  });
});

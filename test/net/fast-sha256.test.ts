import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { createFastSha256 } from '../../src/net/fast-sha256';

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
});

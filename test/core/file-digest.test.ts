/**
 * The file digest of chunk digests (docs/files.md §12) and the receiver's saved file state.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { chunkRecord, fileDigestOf, startFileDigest, webCryptoChunkDigest } from '../../src/core/file-digest';
import { loadFile, newFile, saveFile } from '../../src/core/transfer-receive-file';
import { ResumableSha256 } from '../../src/core/transfer-common';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('the file digest (docs/files.md §12)', () => {
  it('is the same folded chunk by chunk, saved and loaded at any chunk, as in one go; any changed byte, order or chunk size changes it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.constantFrom(64, 128, 1024),
        fc.nat(),
        async (data, chunkSize, cut) => {
          const whole = fileDigestOf(data, chunkSize);
          const n = Math.ceil(data.length / chunkSize),
            at = cut % (n + 1);
          let h = startFileDigest(data.length, chunkSize);
          for (let i = 0; i < n; i++) {
            if (i === at) h = ResumableSha256.load(h.save()); // a reload between chunks
            const c = data.subarray(i * chunkSize, (i + 1) * chunkSize);
            h.update(chunkRecord(await webCryptoChunkDigest(c), i, c.length));
          }
          expect(hex(h.digest())).toBe(hex(whole));
          const flipped = data.slice();
          flipped[cut % data.length]! ^= 1;
          expect(hex(fileDigestOf(flipped, chunkSize))).not.toBe(hex(whole));
          expect(hex(fileDigestOf(data, chunkSize * 2))).not.toBe(hex(whole));
          expect(hex(whole)).not.toBe(hex(sha256(data))); // not the plain SHA-256 (§11's digest)
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a receiver state saved after the last record was folded, before the digest was taken, restores with the digest', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const offer = { name: 'x', type: '', size: data.length, chunkSize: 128 };
    const f = newFile(offer);
    for (let i = 0; i < f.count; i++) {
      const c = data.subarray(i * 128, (i + 1) * 128);
      f.whole!.update(chunkRecord(sha256(c), i, c.length));
    }
    f.verified = f.hashed = f.count; // every record in, `written` not yet taken
    const restored = loadFile(offer, saveFile(f));
    expect(restored.written && hex(restored.written)).toBe(hex(fileDigestOf(data, 128)));
    expect(restored.whole).toBeNull();
  });
});

/**
 * The receiver's chunk digest taken where the chunk is written (`ReceiverIo.writeChunkDigest`,
 * docs/files.md §13; the app's OPFS worker hashes the buffer it writes). What that digest says
 * goes into the file digest, so a store that wrote other bytes than it was given — or lies about
 * them — makes the file fail to verify: it is never offered as complete.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { equal, Harness, pseudoRandomBytes } from './transfer-harness';

const KiB = 1024;

describe('chunk digests taken at the write (docs/files.md §13)', () => {
  it('the digest the write returns is used: no chunkDigest call, and the file verifies', async () => {
    const file = pseudoRandomBytes(200 * KiB + 17, 21);
    let hashedOnWrite = 0,
      hashedInPage = 0;
    const h = await Harness.create({
      files: [file],
      chunkSize: 16 * KiB,
      hashOnWrite: async (b) => {
        hashedOnWrite++;
        return sha256(b);
      },
      chunkDigest: async (b) => {
        hashedInPage++;
        return sha256(b);
      },
    });
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, file)).toBe(true);
    expect(hashedOnWrite).toBe(Math.ceil(file.length / (16 * KiB)));
    // Only the sender hashed in its page (each chunk once); the receiver never did.
    expect(hashedInPage).toBe(Math.ceil(file.length / (16 * KiB)));
  });

  it('a store that reports the digest of other bytes than it was given: the file never completes', async () => {
    const file = pseudoRandomBytes(100 * KiB, 22);
    const h = await Harness.create({
      files: [file],
      chunkSize: 16 * KiB,
      hashOnWrite: async (b, _file, offset) => {
        const seen = b.slice();
        if (offset === 32 * KiB) seen[5]! ^= 1; // what a store that flipped a bit would hash
        return sha256(seen);
      },
    });
    await h.run();
    expect(h.completed('receiver')).toBe(false);
    expect(h.rEvents.some((e) => e.type === 'file-complete')).toBe(false);
    expect(h.rFailures.map((f) => f.code)).toContain('TRANSFER_FILE_HASH_MISMATCH');
  });

  it('a digest of the wrong length is a local I/O failure, not a verified chunk', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(40 * KiB, 23)],
      chunkSize: 16 * KiB,
      hashOnWrite: async (b) => sha256(b).subarray(0, 16),
    });
    await h.run();
    expect(h.completed('receiver')).toBe(false);
    expect(h.rFailures.map((f) => f.code)).toContain('TRANSFER_IO');
    expect(h.receiver!.status).not.toBe('done');
  });
});

/**
 * The glue's file I/O (docs/files.md §8): the sender's block reader. (The file digest is taken by
 * the core over the bytes it hands to the store, docs/files.md §12: the store no longer hashes.)
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { blobReader } from '../../src/net/file-store';

/** A Blob that counts the slices read from it. */
function countingBlob(bytes: Uint8Array): { blob: Blob; slices: () => number } {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>]);
  let n = 0;
  const slice = blob.slice.bind(blob);
  blob.slice = (...a: Parameters<Blob['slice']>) => {
    n++;
    return slice(...a);
  };
  return { blob, slices: () => n };
}

describe('file I/O of the transfer glue', () => {
  it('the block reader serves every chunk byte-exact with one Blob read per block of whole chunks', async () => {
    const bytes = randomBytes(5 * 1024 * 1024 + 12345),
      chunk = 130944,
      block = 1024 * 1024;
    const { blob, slices } = countingBlob(bytes);
    const read = blobReader([blob], block);
    for (let s = 0; s < bytes.length; s += chunk) {
      const got = await read(0, s, Math.min(bytes.length, s + chunk));
      expect(Buffer.from(got).equals(bytes.subarray(s, s + chunk))).toBe(true);
    }
    expect(slices()).toBe(Math.ceil(bytes.length / (Math.floor(block / chunk) * chunk))); // blocks hold whole chunks
    // Out of order (a refetch) and a slice larger than a block still read the right bytes.
    expect(Buffer.from(await read(0, chunk, 2 * chunk)).equals(bytes.subarray(chunk, 2 * chunk))).toBe(true);
    expect(Buffer.from(await read(0, 0, 3 * block)).equals(bytes.subarray(0, 3 * block))).toBe(true);
    await expect(read(1, 0, 10)).rejects.toThrow(RangeError);
  });

  it('a file that shrank since the offer gives a short read (the core reports TRANSFER_IO)', async () => {
    const read = blobReader([new Blob([new Uint8Array(1000)])], 4096);
    expect((await read(0, 512, 2048)).length).toBe(488);
  });
});

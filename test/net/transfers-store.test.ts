/**
 * The glue's file I/O (docs/files.md §8): the sender's block reader, and the receiver's whole-file
 * SHA-256 computed by the file store over the bytes it stored ("Whole-file hash").
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { blobReader, MemoryFileStore, type FileSink } from '../../src/net/file-store';
import { linkPair } from './memory-link';
import { testManager } from '../support/transfer-manager';

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

  it('a disk that changes a stored byte after the chunk verified: the whole-file hash over the stored bytes fails the transfer', async () => {
    // The store hashes what it holds (as the OPFS worker hashes what it writes), not what the core verified.
    class BadDisk extends MemoryFileStore {
      override async open(id: string, i: number): Promise<FileSink> {
        const s = await super.open(id, i);
        return {
          ...s,
          write: async (off, b) => {
            await s.write(off, b);
            if (off > 0 && off < 300_000) this.files.get(id)!.get(i)!.data[off + 3]! ^= 0x10;
          },
        };
      }
    }
    const alice = await testManager('bob'),
      bob = await testManager('alice', new BadDisk());
    const [la, lb] = linkPair();
    alice.m.attach(la);
    bob.m.attach(lb);
    const id = await alice.m.send([new File([randomBytes(1024 * 1024) as Uint8Array<ArrayBuffer>], 'x.bin')]);
    await bob.until((e) => e.type === 'offered');
    await bob.m.accept(id);
    const failed = await bob.until((e) => e.type === 'failed');
    expect(failed).toMatchObject({ failure: { code: 'TRANSFER_FILE_HASH_MISMATCH', fatal: true } });
    await alice.until((e) => e.type === 'cancelled');
    expect(bob.events.some((e) => e.type === 'file-complete' || e.type === 'complete')).toBe(false);
    expect(await bob.store.list()).toEqual([]); // a file that did not verify is deleted, never offered
  });
});

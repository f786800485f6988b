import { afterEach, describe, expect, it } from 'vitest';
import { HashingReader } from '../../src/core/transfer-sender-reader';
import type { ChunkDigest } from '../../src/core/file-digest';

const offer = { name: 'f.bin', type: 'application/octet-stream', size: 3 * 16, chunkSize: 16 };
const readSlice = async (_file: number, start: number, end: number) => new Uint8Array(end - start).fill(start);

/** Lets every pending microtask, and the process's unhandled-rejection check, run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HashingReader', () => {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => seen.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    seen.length = 0;
  });

  it('a chunk digest that rejects while an earlier fold still waits is not an unhandled rejection; digest() reports it', async () => {
    process.on('unhandledRejection', onUnhandled);
    const failure = new Error('chunk digest failed (test)');
    let releaseFirst!: (d: Uint8Array) => void;
    const first = new Promise<Uint8Array>((resolve) => (releaseFirst = resolve));
    let calls = 0;
    // Chunk 0's digest is still on its way when chunk 1's rejects: chunk 1's fold has not run yet.
    const chunkDigest: ChunkDigest = () => (calls++ === 0 ? first : Promise.reject(failure));
    const reader = new HashingReader([offer], readSlice, chunkDigest);
    await reader.read(0, 0);
    await reader.read(0, 1);
    expect(calls).toBe(2);
    await settle();
    expect(seen).toEqual([]);
    releaseFirst(new Uint8Array(32));
    await expect(reader.digest(0)).rejects.toBe(failure);
    await settle();
    expect(seen).toEqual([]);
  });
});

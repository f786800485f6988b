/**
 * Acks per quarter window through the TransferManager (docs/files.md §13): the manager's sender
 * takes the receiver's window as its own, and a receiver told that its peer announced
 * `file-ack-window` holds its acks until a quarter of its window is unacknowledged. A peer that
 * did not announce it gets today's acks (one at each pause in the stream). And a store that
 * hashes what it writes (the OPFS worker) gives the receiver its chunk digests.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { DEFAULT_WINDOW_BYTES } from '../../src/core/transfer';
import { MemoryFileStore, type FileSink } from '../../src/net/file-store';
import { DEFAULT_GLUE_CHUNK_SIZE } from '../../src/net/transfers';
import { connect, fileOf, peer, transferOf, waitFor } from '../support/transfer-peers';

const MiB = 1 << 20;

/** A memory store whose sinks hash what they write (as the OPFS worker does) and count it. */
class HashingStore extends MemoryFileStore {
  hashedWrites = 0;
  override async open(transferId: string, fileIndex: number): Promise<FileSink> {
    const s = await super.open(transferId, fileIndex);
    return {
      ...s,
      writeDigest: async (offset, bytes) => {
        const sha = sha256(bytes);
        await s.write(offset, bytes);
        this.hashedWrites++;
        return sha;
      },
    };
  }
}

/**
 * Sends 8 MiB from alice to bob. Bob's store hashes in step with the write (no thread hop), so bob
 * handles each chunk before the next arrives: his queue empties after every chunk.
 */
async function send(takesWindow: boolean) {
  const alice = await peer('bob'),
    bob = await peer('alice', {}, new HashingStore());
  const [la] = await connect(alice, bob, {}, { takesWindow });
  const file = randomBytes(8 * MiB + 123);
  const id = await alice.m.send([fileOf(file, 'big.bin')]);
  await waitFor(bob, (e) => e.type === 'offered', 'offer at bob');
  await bob.m.accept(id);
  await waitFor(bob, (e) => e.type === 'complete', 'complete at bob');
  await waitFor(alice, (e) => e.type === 'complete', 'complete at alice');
  expect(Buffer.from(bob.store.bytes(id, 0)!).equals(file)).toBe(true);
  const acks = la.received.map(transferOf).filter((t) => t?.type === 'ack').length;
  await Promise.all([alice.m.close(), bob.m.close()]);
  return acks;
}

describe('TransferManager: acks per quarter window (docs/files.md §13)', () => {
  it('with a peer that takes the window, 8 MiB cost about one ack per quarter window; without, many more', async () => {
    const held = await send(true);
    // 8 MiB + 123 bytes in quarters of the 4 MiB window: 8 acks, one more for the tail.
    expect(held).toBeLessThanOrEqual(Math.ceil((8 * MiB + 123) / (DEFAULT_WINDOW_BYTES / 4)));
    const plain = await send(false);
    expect(plain).toBeGreaterThan(held * 3); // an ack each time bob's queue empties: after every chunk
  });
});

describe('TransferManager: chunk digests from the store (docs/files.md §13)', () => {
  it('a store that hashes what it writes is asked for each chunk, and the file verifies', async () => {
    const store = new HashingStore();
    const alice = await peer('bob'),
      bob = await peer('alice', {}, store);
    await connect(alice, bob, {}, { takesWindow: true });
    const file = randomBytes(3 * MiB + 5);
    const id = await alice.m.send([fileOf(file, 'f.bin')]);
    await waitFor(bob, (e) => e.type === 'offered', 'offer at bob');
    await bob.m.accept(id);
    await waitFor(bob, (e) => e.type === 'complete', 'complete at bob');
    expect(Buffer.from(store.bytes(id, 0)!).equals(file)).toBe(true);
    expect(store.hashedWrites).toBe(Math.ceil(file.length / DEFAULT_GLUE_CHUNK_SIZE));
    await Promise.all([alice.m.close(), bob.m.close()]);
  });
});

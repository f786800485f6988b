/**
 * Acks per quarter window through the TransferManager (docs/files.md §13): the manager's sender
 * takes the receiver's window as its own, and a receiver told that its peer announced
 * `file-ack-window` holds its acks until a quarter of its window is unacknowledged. A peer that
 * did not announce it gets today's acks (one at each pause in the stream).
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DEFAULT_WINDOW_BYTES } from '../../src/core/transfer';
import { connect, fileOf, peer, transferOf, waitFor } from '../support/transfer-peers';

const MiB = 1 << 20;

async function send(takesWindow: boolean) {
  const alice = await peer('bob'),
    bob = await peer('alice');
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
    expect(plain).toBeGreaterThan(held);
  });
});

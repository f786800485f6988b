/**
 * Acks per quarter window (docs/files.md §13, feature `file-ack-window`). A receiver whose sender
 * takes the receiver's window as its own holds its acks until a quarter of the window is
 * unacknowledged or a file is complete, instead of acking at every pause in the stream (≈ once
 * per chunk while it keeps up). A held ack waits at most until the next `tick`, so a peer that
 * promised the window and then used a smaller one is slowed, never stuck.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTransfer, FOLLOWED_WINDOW_BYTES } from '../../src/core/transfer';
import { equal, Harness, pseudoRandomBytes, type Tamper } from './transfer-harness';

const KiB = 1024;

/** A tamper hook that changes nothing and counts the receiver's acks. */
function ackCounter(): { tamper: Tamper; acks: () => number } {
  let n = 0;
  return {
    tamper: (b, dir) => {
      if (dir === 'toSender') {
        const d = decodeTransfer(b, 'local');
        if (d.ok && d.message.type === 'ack') n++;
      }
      return [b];
    },
    acks: () => n,
  };
}

async function transfer(files: Uint8Array[], holdAcks: boolean, senderWindow = FOLLOWED_WINDOW_BYTES) {
  const count = ackCounter();
  const h = await Harness.create({
    files,
    chunkSize: 16 * KiB,
    sender: { windowBytes: senderWindow },
    receiver: { windowBytes: 256 * KiB },
    tamper: count.tamper,
    holdAcks,
  });
  await h.run();
  return { h, acks: count.acks() };
}

describe('acks per quarter window (docs/files.md §13)', () => {
  it('a receiver whose sender takes its window acks once per quarter of it, not once per chunk', async () => {
    const file = pseudoRandomBytes(1024 * KiB + 5, 11);
    const held = await transfer([file], true);
    expect(held.h.completed('receiver')).toBe(true);
    expect(held.h.sender.status).toBe('done');
    expect(equal(held.h.out[0]!, file)).toBe(true);
    // 1 MiB in quarters of a 256 KiB window: 16 acks, and one more for the 5-byte tail.
    expect(held.acks).toBeLessThanOrEqual(17);
    const plain = await transfer([file], false);
    expect(plain.h.completed('receiver')).toBe(true);
    expect(plain.acks).toBeGreaterThan(held.acks * 2); // the old rule, for contrast: it acks at each pause
  });

  it('each file ends with its ack, however little of the window it filled', async () => {
    const files = [pseudoRandomBytes(3 * KiB, 1), pseudoRandomBytes(40 * KiB, 2), pseudoRandomBytes(1, 3)];
    const { h, acks } = await transfer(files, true);
    expect(h.completed('receiver')).toBe(true);
    files.forEach((f, i) => expect(equal(h.out[i]!, f)).toBe(true));
    expect(acks).toBe(3);
    expect(h.rFailures.filter((f) => f.code === 'TRANSFER_STALLED')).toEqual([]);
  });

  it('a held ack goes out at the next tick: a sender with a smaller window than promised is slowed, not stuck', async () => {
    const file = pseudoRandomBytes(256 * KiB, 5);
    const h = await Harness.create({
      files: [file],
      chunkSize: 16 * KiB,
      sender: { windowBytes: 32 * KiB }, // a broken peer: it promised the receiver's 256 KiB
      receiver: { windowBytes: 256 * KiB },
      holdAcks: true,
    });
    // Deliver everything without a tick: the sender fills its 32 KiB and waits; the receiver holds
    // the ack (32 KiB < a quarter of 256 KiB).
    while (await h.step());
    expect(h.receiver!.progress().done).toBe(32 * KiB);
    expect(h.toS).toEqual([]);
    // A tick well before the stall timer: the held ack, and nothing else.
    expect(h.receiver!.tick(h.now + 1)).toBeNull();
    expect(h.toS.length).toBe(1);
    const d = decodeTransfer(h.toS[0]!, 'local');
    expect(d.ok && d.message.type === 'ack' && d.message.verified).toBe(2);
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, file)).toBe(true);
  });

  it('a receiver with a window beyond what a sender takes holds acks to a quarter of that, so nothing waits for a tick', async () => {
    const MiB = 1024 * KiB;
    const file = new Uint8Array(100 * MiB).map((_, i) => i % 251);
    const count = ackCounter();
    const h = await Harness.create({
      files: [file],
      chunkSize: 255 * KiB,
      sender: { windowBytes: FOLLOWED_WINDOW_BYTES },
      receiver: { windowBytes: 256 * MiB },
      tamper: count.tamper,
      holdAcks: true,
      chunkDigest: async (b) => new Uint8Array(createHash('sha256').update(b).digest()),
    });
    while (await h.step()); // no tick: a held ack that only a tick could free would stop this early
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, file)).toBe(true);
    // Quarters of the 64 MiB the sender takes (an ack per ≥ 16 MiB: 6, and one at the end), not
    // of the 256 MiB advertised (one at most before the end).
    expect(count.acks()).toBeGreaterThanOrEqual(6);
    expect(count.acks()).toBeLessThanOrEqual(7);
  });

  it('any interleaving, with losses and duplicates, still ends with the same bytes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 70 * KiB }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        async (sizes, seed, windowChunks, pDrop) => {
          let x = seed;
          const rng = () => {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return (x >>> 0) / 2 ** 32;
          };
          const files = sizes.map((n, i) => pseudoRandomBytes(n, seed + i));
          const h = await Harness.create({
            files,
            chunkSize: 1024,
            sender: { windowBytes: FOLLOWED_WINDOW_BYTES },
            receiver: { windowBytes: windowChunks * 1024 },
            tamper: (b) => (rng() < pDrop ? [] : rng() < 0.05 ? [b, b] : [b]),
            rng,
            holdAcks: true,
          });
          await h.run(100_000);
          expect(h.completed('receiver'), JSON.stringify(h.rFailures.slice(-2))).toBe(true);
          files.forEach((f, i) => expect(equal(h.out[i]!, f)).toBe(true));
        },
      ),
      { numRuns: 40 },
    );
  });
});

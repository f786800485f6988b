import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodeTransfer,
  encodeTransfer,
  TransferReceiver,
  TransferSender,
  type SenderState,
} from '../../src/core/transfer';
import { equal, Harness, pseudoRandomBytes, type Tamper } from './transfer-harness';
import { nobleChunkDigest, webCryptoChunkDigest } from '../../src/core/file-digest';

const KiB = 1024;

describe('transfer: happy paths', () => {
  it('several files at once (empty, small, multi-MB) arrive byte-identical', async () => {
    const files = [
      new Uint8Array(0),
      pseudoRandomBytes(1000, 1),
      pseudoRandomBytes(3 * 1024 * 1024 + 123, 2),
      pseudoRandomBytes(64 * KiB, 3),
    ];
    const h = await Harness.create({ files, chunkSize: 64 * KiB });
    await h.run();
    expect(h.rFailures).toEqual([]);
    expect(h.sFailures).toEqual([]);
    files.forEach((f, i) => expect(equal(h.out[i]!, f), `file ${i}`).toBe(true));
    expect(h.receiver!.status).toBe('done');
    expect(h.sender.status).toBe('done');
    expect(
      h.rEvents
        .filter((e) => e.type === 'file-complete')
        .map((e) => (e as { file: number }).file)
        .sort(),
    ).toEqual([0, 1, 2, 3]);
    const last = h.rEvents.filter((e) => e.type === 'progress').pop();
    expect(last).toMatchObject({
      progress: { done: files.reduce((a, f) => a + f.length, 0), total: files.reduce((a, f) => a + f.length, 0) },
    });
    // each chunk sent exactly once on a clean path
    expect(h.sentChunks.length).toBe(new Set(h.sentChunks.map((c) => c.join(':'))).size);
  });

  it('an offer of only empty files completes at accept', async () => {
    const h = await Harness.create({ files: [new Uint8Array(0), new Uint8Array(0)], chunkSize: 1024 });
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(h.sender.status).toBe('done');
    expect(h.sentChunks).toEqual([]);
  });

  it('the window bounds unacknowledged bytes in flight', async () => {
    const files = [pseudoRandomBytes(40 * KiB, 9)];
    let maxInFlight = 0;
    const h = await Harness.create({ files, chunkSize: 1024, sender: { windowBytes: 4 * KiB }, channelSlots: 1000 });
    // Deliver sender→receiver messages only while checking the sender's own accounting.
    await h.run(200_000, () => {
      const p = h.sender.progress();
      const sentBytes = h.sentChunks.length * 1024;
      maxInFlight = Math.max(maxInFlight, sentBytes - p.done);
      return false;
    });
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(4 * KiB);
    expect(maxInFlight).toBeGreaterThan(0);
  });

  it('canSend() false stops the sender: nothing queues beyond the channel limit', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(100 * KiB, 4)],
      chunkSize: 1024,
      channelSlots: 3,
      sender: { windowBytes: 1 << 20 },
    });
    let maxQueue = 0;
    await h.run(200_000, () => {
      maxQueue = Math.max(maxQueue, h.toR.length);
      return false;
    });
    expect(equal(h.out[0]!, h.o.files[0]!)).toBe(true);
    expect(maxQueue).toBeLessThanOrEqual(3);
  });
});

describe('transfer: integrity (docs/files.md §11: the digest decides)', () => {
  /** Flips a bit in chunk `index` on its way to the receiver, `times` times (a chunk that got past the AEAD). */
  function flipChunk(index: number, times: number): { tamper: Tamper; flipped: () => number } {
    let n = 0;
    return {
      flipped: () => n,
      tamper: (b, dir) => {
        const d = decodeTransfer(b, 'local');
        if (n < times && dir === 'toReceiver' && d.ok && d.message.type === 'chunk' && d.message.index === index) {
          n++;
          const c = b.slice();
          c[c.length - 10]! ^= 0x04;
          return [c];
        }
        return [b];
      },
    };
  }

  for (const [name, chunkDigest] of [
    ['@noble', nobleChunkDigest],
    ['WebCrypto', webCryptoChunkDigest],
  ] as const)
    it(`a tampered chunk that got through: the written file fails the sender's digest, never complete (chunk digests by ${name})`, async () => {
      const t = flipChunk(5, 1);
      const files = [pseudoRandomBytes(20 * KiB, 5)];
      const h = await Harness.create({
        files,
        chunkSize: 1024,
        tamper: t.tamper,
        chunkDigest,
      });
      await h.run();
      expect(t.flipped()).toBe(1);
      expect(h.rFailures.map((f) => [f.code, f.fatal])).toEqual([['TRANSFER_FILE_HASH_MISMATCH', true]]);
      expect(h.receiver!.status).toBe('failed');
      expect(h.sender.status).toBe('cancelled');
      expect(h.sEvents).toContainEqual({ type: 'cancelled', by: 'peer', reason: 'integrity' });
      expect(h.completed('receiver')).toBe(false);
      expect(h.rEvents.some((e) => e.type === 'file-complete')).toBe(false);
    });

  it('a refused chunk (the sealed-chunk layer) is fetched again and the file verifies', async () => {
    const files = [pseudoRandomBytes(20 * KiB, 5)];
    let refused = false;
    const h = await Harness.create({
      files,
      chunkSize: 1024,
      tamper: (b, dir) => {
        const d = decodeTransfer(b, 'local');
        if (!refused && dir === 'toReceiver' && d.ok && d.message.type === 'chunk' && d.message.index === 5) {
          refused = true;
          void h.receiver!.refuse(0, 5, 'CHUNK_TAMPERED', 'test').then((r) => {
            h.rEvents.push(...r.events);
            if (!r.ok) h.rFailures.push(r);
          });
          return [];
        }
        return [b];
      },
    });
    await h.run();
    expect(refused).toBe(true);
    expect(h.rFailures.map((f) => [f.code, f.fatal])).toEqual([['TRANSFER_HASH_MISMATCH', false]]);
    expect(h.sentChunks.filter(([, i]) => i === 5).length).toBe(2);
    expect(h.rEvents).toContainEqual({ type: 'refetch', file: 0, index: 5 });
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
    expect(h.completed('receiver')).toBe(true);
  });

  it('a lying digest (a sender whose digest is not of what it sent) never completes', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(4 * KiB, 7)],
      chunkSize: 1024,
      tamper: (b, dir) => {
        const d = decodeTransfer(b, 'local');
        if (dir !== 'toReceiver' || !d.ok || d.message.type !== 'digest') return [b];
        return [encodeTransfer({ ...d.message, sha256: sha256(new Uint8Array([1])) })];
      },
    });
    await h.run();
    expect(h.rFailures.map((f) => [f.code, f.fatal])).toContainEqual(['TRANSFER_FILE_HASH_MISMATCH', true]);
    expect(h.completed('receiver')).toBe(false);
    expect(h.rEvents.some((e) => e.type === 'file-complete')).toBe(false);
    expect(h.receiver!.status).toBe('failed');
  });

  it('a second, different digest for a file (the file changed between reads) fails the transfer', async () => {
    const h = await Harness.create({ files: [pseudoRandomBytes(40 * KiB, 8)], chunkSize: 1024 });
    await h.run(200_000, () => h.writes >= 2);
    const r1 = await h.receiver!.receive(
      encodeTransfer({ type: 'digest', id: h.sender.id, file: 0, sha256: new Uint8Array(32) }),
    );
    expect(r1.ok).toBe(true);
    const r2 = await h.receiver!.receive(
      encodeTransfer({ type: 'digest', id: h.sender.id, file: 0, sha256: new Uint8Array(32).fill(1) }),
    );
    expect(r2.ok ? 'ok' : [r2.code, r2.fatal]).toEqual(['TRANSFER_FILE_HASH_MISMATCH', true]);
    await h.run();
    expect(h.completed('receiver')).toBe(false);
    expect(h.sender.status).toBe('cancelled');
  });

  it('the sender reads each chunk once: no pass before the offer, no re-read without a refetch', async () => {
    const files = [pseudoRandomBytes(30 * KiB, 9), pseudoRandomBytes(7 * KiB, 10)];
    const h = await Harness.create({ files, chunkSize: 1024 });
    const reads: string[] = [];
    const io = h.senderIo();
    const read = io.readSlice;
    // Nothing was read to make the offer: the first read comes after the accept.
    (h.sender as unknown as { io: typeof io }).io.readSlice = async (i, s, e) => {
      reads.push(`${i}:${s}`);
      return read(i, s, e);
    };
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(reads).toHaveLength(30 + 7);
    expect(new Set(reads).size).toBe(reads.length);
  });
});

describe('transfer: decline and cancel', () => {
  it('a declined offer sends no chunks', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(10 * KiB, 1)],
      chunkSize: 1024,
      decide: () => 'decline',
    });
    await h.run();
    expect(h.sender.status).toBe('declined');
    expect(h.sEvents).toContainEqual({ type: 'declined', reason: 'user' });
    expect(h.sentChunks).toEqual([]);
    expect(h.writes).toBe(0);
  });

  it('a partly accepted offer sends only the accepted files', async () => {
    const files = [pseudoRandomBytes(3 * KiB, 1), pseudoRandomBytes(5 * KiB, 2), pseudoRandomBytes(2 * KiB, 3)];
    const h = await Harness.create({ files, chunkSize: 1024, decide: () => [0, 2] });
    await h.run();
    expect(new Set(h.sentChunks.map(([f]) => f))).toEqual(new Set([0, 2]));
    expect(equal(h.out[0]!, files[0]!) && equal(h.out[2]!, files[2]!)).toBe(true);
    expect(h.out[1]!.every((x) => x === 0)).toBe(true);
    expect(h.sender.status).toBe('done');
  });

  for (const side of ['sender', 'receiver'] as const) {
    it(`cancel from the ${side} stops both`, async () => {
      const h = await Harness.create({ files: [pseudoRandomBytes(200 * KiB, 2)], chunkSize: 1024 });
      await h.run(200_000, () => h.writes >= 20);
      const ev = side === 'sender' ? h.sender.cancel('user') : h.receiver!.cancel('user');
      expect(ev).toEqual([{ type: 'cancelled', by: 'local', reason: 'user' }]);
      const sentAtCancel = h.sentChunks.length;
      await h.run();
      expect(h.sender.status).toBe('cancelled');
      expect(h.receiver!.status).toBe('cancelled');
      const other = side === 'sender' ? h.rEvents : h.sEvents;
      expect(other).toContainEqual({ type: 'cancelled', by: 'peer', reason: 'user' });
      if (side === 'sender') expect(h.sentChunks.length).toBe(sentAtCancel);
      else expect(h.sentChunks.length - sentAtCancel).toBeLessThanOrEqual(8); // only what was already under way
      expect(h.completed('receiver')).toBe(false);
      expect(h.writes).toBeLessThan(200);
    });
  }
});

describe('transfer: resume after a reload', () => {
  it('drop the transport midway, serialize both, restore, resume: byte-identical, no verified chunk re-sent', async () => {
    const files = [pseudoRandomBytes(5000, 1), pseudoRandomBytes(600 * KiB + 17, 2), new Uint8Array(0)];
    const h = await Harness.create({ files, chunkSize: 4 * KiB, sender: { windowBytes: 64 * KiB } });
    await h.run(200_000, () => h.writes >= 60);
    const snapshot = h.receiver!.toJSON();
    const verifiedAt = snapshot.progress.map((p) => p?.verified ?? 0);
    expect(verifiedAt[1]).toBeGreaterThan(10);
    const sentBefore = h.sentChunks.length;
    h.reload();
    await h.run();
    const resent = h.sentChunks.slice(sentBefore).filter(([f, i]) => i < verifiedAt[f]!);
    expect(resent).toEqual([]);
    // whatever was sent twice fits in the window
    const seen = new Set(h.sentChunks.slice(0, sentBefore).map((c) => c.join(':')));
    const twice = h.sentChunks.slice(sentBefore).filter((c) => seen.has(c.join(':')));
    expect(twice.length * 4 * KiB).toBeLessThanOrEqual(64 * KiB);
    files.forEach((f, i) => expect(equal(h.out[i]!, f), `file ${i}`).toBe(true));
    expect(h.receiver!.status).toBe('done');
    expect(h.sender.status).toBe('done');
  });

  it('a receiver restored after it finished tells a restored sender that it is complete', async () => {
    const files = [pseudoRandomBytes(9 * KiB, 3)];
    const h = await Harness.create({
      files,
      chunkSize: 1024,
      tamper: (b, dir) => {
        const d = decodeTransfer(b, 'local');
        return dir === 'toSender' && d.ok && (d.message.type === 'complete' || d.message.type === 'ack') ? [] : [b];
      },
    });
    await h.run(200_000, () => h.receiver?.status === 'done');
    expect(h.sender.status).toBe('active');
    h.o.tamper = undefined;
    h.reload();
    await h.run();
    expect(h.sender.status).toBe('done');
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
  });
});

describe("transfer: the finished receiver's `complete` lost", () => {
  /** Drops the first `n` `complete`s to the sender (Infinity: all); counts the sender's digests (its probes) after the receiver finished. */
  function losingComplete(n: number) {
    let lost = 0;
    const probes = { sent: 0 };
    let h!: Harness;
    const tamper: Tamper = (b, dir) => {
      const d = decodeTransfer(b, 'local');
      if (dir === 'toReceiver' && d.ok && d.message.type === 'digest' && h?.receiver?.status === 'done') probes.sent++;
      if (dir === 'toSender' && d.ok && d.message.type === 'complete' && lost < n) {
        lost++;
        return [];
      }
      return [b];
    };
    return {
      probes,
      create: async () =>
        (h = await Harness.create({ files: [pseudoRandomBytes(9 * KiB, 5)], chunkSize: 1024, tamper })),
    };
  }

  it('all four of its own: the sender asks again and ends done', async () => {
    // The receiver sends `complete` once and repeats it three times on its stall clock; then it is silent.
    const t = losingComplete(4);
    const h = await t.create();
    await h.run();
    expect(h.receiver!.status).toBe('done');
    expect(t.probes.sent).toBeGreaterThan(0);
    expect(h.sender.status).toBe('done');
    expect(h.completed('sender')).toBe(true);
  });

  it('every one: the sender stops asking after maxStalls probes', async () => {
    const t = losingComplete(Infinity);
    const h = await t.create();
    await h.run(200_000);
    expect(h.receiver!.status).toBe('done');
    expect(h.sender.status).toBe('active');
    // maxStalls (20) probes after the receiver was last heard (its own three repeats of `resume`).
    expect(t.probes.sent).toBeGreaterThanOrEqual(20);
    const asked = t.probes.sent;
    for (let i = 0; i < 30; i++) h.sender.tick((h.now += 20_000));
    expect(t.probes.sent).toBe(asked);
    expect(h.toR).toHaveLength(0);
  });
});

describe('transfer: reload before the sender heard the accept', () => {
  it('a restored sender still in "offered" re-offers and finishes with a receiver that is already done', async () => {
    const h = await Harness.create({ files: [new Uint8Array(0)], chunkSize: 1024 });
    const saved = JSON.parse(JSON.stringify(h.sender.toJSON())) as SenderState; // saved before the accept came
    await h.run(200_000, () => h.receiver?.status === 'done');
    h.toR = [];
    h.toS = [];
    h.sender = TransferSender.restore(saved, h.senderIo());
    expect(h.sender.status).toBe('offered');
    h.sender.tick((h.now += 20_000)); // the offer unanswered for stallMs: sent again
    await h.run();
    expect(h.sender.status).toBe('done');
  });
});

describe('transfer: reload before the receiver decided', () => {
  it('a sender restored while its offer was pending starts at once when the accept comes', async () => {
    const files = [pseudoRandomBytes(5000, 21)];
    const h = await Harness.create({ files, chunkSize: 1024 });
    const offer = h.toR.shift()!;
    const saved = JSON.parse(JSON.stringify(h.sender.toJSON()));
    h.sender = TransferSender.restore(saved, h.senderIo());
    h.toR.push(offer);
    await h.run(200_000, () => h.receiver?.status === 'done');
    expect(h.receiver!.status).toBe('done');
    expect(h.now).toBeLessThan(10_000); // no stall timer was needed
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
  });
});

describe('transfer: malicious peers give typed failures and lose nothing', () => {
  async function started() {
    const files = [pseudoRandomBytes(8 * KiB, 11), pseudoRandomBytes(3 * KiB, 12)];
    const h = await Harness.create({ files, chunkSize: 1024, decide: () => [0], channelSlots: 4 });
    await h.run(200_000, () => h.writes >= 2);
    return h;
  }
  const id = new Uint8Array(16).fill(7);

  it('sender-side attacks on the receiver', async () => {
    const h = await started();
    const r = h.receiver!;
    const writes = h.writes;
    const cases: [Uint8Array, string][] = [
      [encodeTransfer({ type: 'chunk', id, file: 1, index: 0, bytes: new Uint8Array(1024) }), 'TRANSFER_BAD_INDEX'], // declined file
      [encodeTransfer({ type: 'chunk', id, file: 9, index: 0, bytes: new Uint8Array(1024) }), 'TRANSFER_BAD_INDEX'], // no such file
      [encodeTransfer({ type: 'chunk', id, file: 0, index: 8, bytes: new Uint8Array(10) }), 'TRANSFER_SIZE_OVERFLOW'], // beyond size
      [
        encodeTransfer({ type: 'chunk', id, file: 0, index: 0, bytes: h.o.files[0]!.slice(0, 1024) }),
        'TRANSFER_DUPLICATE',
      ],
      [encodeTransfer({ type: 'digest', id, file: 1, sha256: new Uint8Array(32) }), 'TRANSFER_BAD_INDEX'], // declined file
      [
        encodeTransfer({ type: 'chunk', id: new Uint8Array(16), file: 0, index: 3, bytes: new Uint8Array(1024) }),
        'TRANSFER_UNKNOWN_ID',
      ],
      [encodeTransfer({ type: 'ack', id, file: 0, verified: 1 }), 'TRANSFER_UNEXPECTED'],
      [new Uint8Array([1, 5, 0]), 'TRANSFER_MALFORMED'],
      [new Uint8Array([3, ...new Uint8Array(30)]), 'TRANSFER_VERSION'],
    ];
    for (const [msg, code] of cases) {
      const res = await r.receive(msg);
      expect(res.ok ? 'ok' : [res.code, res.fatal], code).toEqual([code, false]);
    }
    // a wrong-length chunk is refetched, not written
    const res = await r.receive(encodeTransfer({ type: 'chunk', id, file: 0, index: 7, bytes: new Uint8Array(5) }));
    expect(res.ok ? 'ok' : res.code).toBe('TRANSFER_CHUNK_LENGTH');
    expect(h.writes).toBe(writes);
    expect(r.status).toBe('active');
    await h.run();
    expect(equal(h.out[0]!, h.o.files[0]!)).toBe(true);
    expect(r.status).toBe('done');
  });

  it('receiver-side attacks on the sender', async () => {
    const h = await started();
    const s = h.sender;
    const cases: [Uint8Array, string][] = [
      [encodeTransfer({ type: 'ack', id, file: 0, verified: 8 }), 'TRANSFER_BAD_ACK'], // acks unsent chunks
      [encodeTransfer({ type: 'ack', id, file: 1, verified: 1 }), 'TRANSFER_BAD_INDEX'], // declined file
      [encodeTransfer({ type: 'nack', id, file: 0, index: 7, reason: 'refused' }), 'TRANSFER_BAD_INDEX'], // not in flight
      [encodeTransfer({ type: 'resume', id, files: [{ file: 0, verified: 99 }] }), 'TRANSFER_SIZE_OVERFLOW'],
      [encodeTransfer({ type: 'resume', id, files: [{ file: 1, verified: 0 }] }), 'TRANSFER_BAD_INDEX'],
      [encodeTransfer({ type: 'complete', id }), 'TRANSFER_BAD_ACK'],
      [encodeTransfer({ type: 'accept', id, windowBytes: 1, files: [0] }), 'TRANSFER_UNEXPECTED'],
      [encodeTransfer({ type: 'chunk', id, file: 0, index: 0, bytes: new Uint8Array(1) }), 'TRANSFER_UNEXPECTED'],
    ];
    for (const [msg, code] of cases) {
      const res = await s.receive(msg);
      expect(res.ok ? 'ok' : [res.code, res.fatal], code).toEqual([code, false]);
    }
    expect(s.status).toBe('active');
    await h.run();
    expect(equal(h.out[0]!, h.o.files[0]!)).toBe(true);
    expect(s.status).toBe('done');
  });

  it('a sender racing ahead of a gap cannot make the receiver hold more than its window', async () => {
    const data = pseudoRandomBytes(64 * KiB, 31);
    let dropChunks = true;
    const h = await Harness.create({
      files: [data],
      chunkSize: 1024,
      receiver: { windowBytes: 8 * KiB },
      tamper: (b, dir) => (dropChunks && dir === 'toReceiver' && b[1] === 5 ? [] : [b]),
    });
    await h.run(200_000, () => h.sentChunks.length > 0); // accepted, chunks lost
    await h.run(200_000, () => h.toR.length === 0);
    expect(h.writes).toBe(0);
    const results = [];
    for (let i = 1; i <= 30; i++)
      // chunk 0 withheld: 1..30 arrive ahead of the gap
      results.push(
        await h.receiver!.receive(
          encodeTransfer({ type: 'chunk', id, file: 0, index: i, bytes: data.slice(i * 1024, (i + 1) * 1024) }),
        ),
      );
    expect(results.slice(0, 8).every((x) => x.ok)).toBe(true);
    expect(results.slice(8).map((x) => (x.ok ? 'ok' : `${x.code}${x.fatal ? '!' : ''}`))).toEqual(
      Array(22).fill('TRANSFER_WINDOW_EXCEEDED'),
    );
    expect(h.writes).toBe(8);
    dropChunks = false;
    h.toS = [];
    await h.run();
    expect(equal(h.out[0]!, data)).toBe(true); // the refused chunks were fetched again later
    expect(h.receiver!.status).toBe('done');
  });

  it('a receiver asking for the same chunk again and again makes the sender give up', async () => {
    const h = await started();
    const s = h.sender;
    h.toR = [];
    h.toS = [];
    const acked = s.progress().done / 1024;
    const nack = encodeTransfer({ type: 'nack', id, file: 0, index: acked, reason: 'refused' });
    const codes = [];
    for (let i = 0; i < 5; i++) {
      const r = await s.receive(nack);
      codes.push(r.ok ? 'ok' : `${r.code}${r.fatal ? '!' : ''}`);
    }
    expect(codes).toEqual(['ok', 'ok', 'ok', 'TRANSFER_HASH_MISMATCH!', 'TRANSFER_UNEXPECTED']);
    expect(s.status).toBe('failed');
  });

  it('an offer with a path in a file name is rejected', () => {
    const good = encodeTransfer({
      type: 'offer',
      id,
      files: [
        {
          name: 'a.txt',
          type: '',
          size: 1,
          chunkSize: 1024,
        },
      ],
    });
    const bad = good.slice();
    bad[bad.indexOf(0x61)] = 0x2f; // 'a' → '/'
    const r = TransferReceiver.fromOffer(bad, { writeChunk: async () => {}, send: () => {}, now: () => 0 });
    expect(r.ok ? 'ok' : r.code).toBe('TRANSFER_MALFORMED');
    expect(TransferReceiver.fromOffer(good, { writeChunk: async () => {}, send: () => {}, now: () => 0 }).ok).toBe(
      true,
    );
  });
});

describe('transfer: the sender hashes as it reads, across reloads (docs/files.md §11)', () => {
  /** Counts the sender's reads from now on, by chunk index. */
  function countReads(h: Harness): number[] {
    const reads: number[] = [];
    const io = (h.sender as unknown as { io: { readSlice: (i: number, s: number, e: number) => Promise<Uint8Array> } })
      .io;
    const read = io.readSlice;
    io.readSlice = async (i, s, e) => {
      reads.push(s / 1024);
      return read(i, s, e);
    };
    return reads;
  }
  const KiB40 = 40 * 1024;

  it('a reload of both pages mid-file: the saved running hash goes on, no chunk is read only to hash it', async () => {
    const files = [pseudoRandomBytes(KiB40, 41)];
    const h = await Harness.create({ files, chunkSize: 1024, chunkDigest: webCryptoChunkDigest });
    await h.run(200_000, () => h.writes >= 12);
    h.reload();
    const verified = h.receiver!.toJSON().progress[0]!.verified;
    expect(h.sender.toJSON().hashing[0]!.hashed).toBeGreaterThanOrEqual(verified);
    const reads = countReads(h);
    await h.run();
    expect(h.completed('receiver') && h.completed('sender')).toBe(true);
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
    // Each chunk from the receiver's prefix on is read once, to be sent: nothing more.
    expect(reads).toEqual(Array.from({ length: 40 - verified }, (_, i) => verified + i));
  });

  it('a sender restored from an older save than the receiver catches its hash up by reading only the gap', async () => {
    const files = [pseudoRandomBytes(KiB40, 42)];
    const h = await Harness.create({ files, chunkSize: 1024, channelSlots: 4, sender: { windowBytes: 4096 } });
    await h.run(200_000, () => h.writes >= 5);
    const old = JSON.parse(JSON.stringify(h.sender.toJSON())) as SenderState;
    const hashedThen = old.hashing[0]!.hashed;
    await h.run(200_000, () => h.writes >= 25);
    h.reload(); // the receiver from now,
    h.sender = TransferSender.restore(old, h.senderIo()); // the sender from before
    h.toS = h.toS.filter((b) => decodeTransfer(b, 'local').ok); // the receiver's resume stays queued
    const verified = h.receiver!.toJSON().progress[0]!.verified;
    expect(verified).toBeGreaterThan(hashedThen);
    const reads = countReads(h);
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
    expect(reads.filter((i) => i < verified)).toEqual(
      Array.from({ length: verified - hashedThen }, (_, i) => hashedThen + i),
    );
  });

  it('a saved hash state this page cannot load: the sender hashes the file again from the start and it still verifies', async () => {
    const files = [pseudoRandomBytes(KiB40, 43)];
    const h = await Harness.create({ files, chunkSize: 1024 });
    await h.run(200_000, () => h.writes >= 12);
    const s = JSON.parse(JSON.stringify(h.sender.toJSON())) as SenderState;
    s.hashing[0]!.state = '00'; // not a @noble midstate
    h.sender = TransferSender.restore(s, h.senderIo());
    h.toR = [];
    h.receiver!.resume();
    await h.run();
    expect(h.completed('receiver') && h.completed('sender')).toBe(true);
    expect(equal(h.out[0]!, files[0]!)).toBe(true);
  });
});

describe('transfer: a late resume to a finished sender', () => {
  it('from a receiver that is behind: it is told at once (cancel), not left to stall; from one that is done: dropped', async () => {
    const files = [pseudoRandomBytes(6 * 1024, 51)];
    const h = await Harness.create({ files, chunkSize: 1024 });
    await h.run();
    expect(h.sender.status).toBe('done');
    const sent: Uint8Array[] = [];
    (h.sender as unknown as { io: { send: (b: Uint8Array) => void } }).io.send = (b) => sent.push(b);
    const done = await h.sender.receive(
      encodeTransfer({ type: 'resume', id: h.sender.id, files: [{ file: 0, verified: 6 }] }),
    );
    expect(done.ok ? 'ok' : done.code).toBe('TRANSFER_UNEXPECTED');
    expect(sent).toHaveLength(0);
    const behind = await h.sender.receive(
      encodeTransfer({ type: 'resume', id: h.sender.id, files: [{ file: 0, verified: 2 }] }),
    );
    expect(behind.ok ? 'ok' : behind.code).toBe('TRANSFER_UNEXPECTED');
    expect(sent.map((b) => decodeTransfer(b, 'local'))).toEqual([
      { ok: true, message: { type: 'cancel', id: h.sender.id, reason: 'error' } },
    ]);
    expect(h.sender.status).toBe('done');
  });
});

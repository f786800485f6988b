import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodeTransfer,
  nobleRunningHashes,
  ProgressMeter,
  ResumableSha256,
  TransferReceiver,
  TransferSender,
} from '../../src/core/transfer';
import { Harness, pseudoRandomBytes } from './transfer-harness';

/** Hands the receiver every queued message that is not a chunk (the hash list), leaving the chunks queued. */
async function deliverAllButChunks(h: Harness): Promise<void> {
  const isChunk = (b: Uint8Array) => {
    const d = decodeTransfer(b, 'receiver');
    return d.ok && d.message.type === 'chunk';
  };
  for (const b of h.toR.filter((x) => !isChunk(x))) await h.receiver!.receive(b);
  h.toR = h.toR.filter(isChunk);
}

describe('transfer parts', () => {
  it('a saved SHA-256 midstate resumes to the same digest', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), fc.integer({ min: 0, max: 15 }), (tail, blocks) => {
        const head = pseudoRandomBytes(blocks * 64, blocks + 1);
        const a = new ResumableSha256();
        a.update(head);
        const b = ResumableSha256.load(JSON.parse(JSON.stringify(a.save())));
        b.update(tail);
        const all = new Uint8Array(head.length + tail.length);
        all.set(head);
        all.set(tail, head.length);
        expect(b.digest()).toEqual(sha256(all));
      }),
    );
    const c = new ResumableSha256();
    c.update(new Uint8Array(3));
    expect(() => c.save()).toThrow(/64-byte boundary/);
  });

  it("the sender's running hash (@noble) saves and loads at chunk boundaries to the same digest (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 500 }), async (blocks, tail) => {
        const head = pseudoRandomBytes(blocks * 64, blocks + 3);
        const a = await nobleRunningHashes.create();
        a.update(head);
        const b = await nobleRunningHashes.load(a.save());
        b.update(tail);
        const all = new Uint8Array(head.length + tail.length);
        all.set(head);
        all.set(tail, head.length);
        expect(b.digest()).toEqual(sha256(all));
      }),
      { numRuns: 50 },
    );
    await expect(nobleRunningHashes.load(new Uint8Array(39))).rejects.toThrow(/midstate/);
  });

  it('progress reports speed and ETA from the injected clock', () => {
    const m = new ProgressMeter(0);
    expect(m.update(0, 0, 1000, true)).toEqual({ done: 0, total: 1000, speed: 0, etaMs: null });
    const p = m.update(1000, 250, 1000, true)!;
    expect(p.speed).toBeCloseTo(250);
    expect(p.etaMs).toBeCloseTo(3000);
    expect(new ProgressMeter(500).update(0, 1, 2, false)).not.toBeNull();
    const q = new ProgressMeter(500);
    q.update(0, 1, 2, false);
    expect(q.update(100, 1, 2, false)).toBeNull(); // throttled
  });

  it('a failing readSlice is a fatal TRANSFER_IO on the sender, and the receiver is told', async () => {
    const data = pseudoRandomBytes(8192, 1);
    const h = await Harness.create({ files: [data], chunkSize: 1024 });
    let reads = 0;
    const io = h.senderIo();
    io.readSlice = async (i, s, e) => {
      if (++reads > 3) throw new Error('disk gone');
      return data.slice(s, e);
    };
    h.sender = TransferSender.create({ id: new Uint8Array(16).fill(7), files: h.prepared, io });
    h.toR = [];
    h.sender.offer();
    await h.run();
    expect(h.sFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_IO']);
    expect(h.sender.status).toBe('failed');
    expect(h.receiver!.status).toBe('cancelled');
    expect(h.rEvents).toContainEqual({ type: 'cancelled', by: 'peer', reason: 'error' });
  });

  it('a failing writeChunk is a fatal TRANSFER_IO on the receiver, and the sender is told', async () => {
    const h = await Harness.create({ files: [pseudoRandomBytes(8192, 2)], chunkSize: 1024 });
    const msg = h.toR.shift()!;
    let writes = 0;
    const made = TransferReceiver.fromOffer(msg, {
      ...h.receiverIo(),
      writeChunk: async () => {
        if (++writes > 2) throw new Error('quota');
      },
    });
    if (!made.ok) throw new Error(made.message);
    h.receiver = made.receiver;
    await made.receiver.accept();
    await h.run();
    expect(h.rFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_IO']);
    expect(writes).toBe(3);
    expect(h.receiver.status).toBe('failed');
    expect(h.sender.status).toBe('cancelled');
  });

  it('a lost accept: the offer is sent again after the stall time and the receiver repeats its accept', async () => {
    let accepts = 0;
    const h = await Harness.create({
      files: [pseudoRandomBytes(3000, 4)],
      chunkSize: 1024,
      tamper: (b) => (b[1] === 2 && accepts++ === 0 ? [] : [b]),
    });
    await h.run();
    expect(accepts).toBe(2);
    expect(h.sender.status).toBe('done');
    expect(h.receiver!.status).toBe('done');
  });

  it('a sender that goes silent: the receiver resumes, then fails with TRANSFER_STALLED', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(20_000, 5)],
      chunkSize: 1024,
      receiver: { maxStalls: 4 },
      tamper: (b, dir) => (dir === 'toReceiver' && b[1] === 5 ? [] : [b]),
    }); // every chunk lost
    await h.run();
    expect(h.rFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_STALLED']);
    expect(h.receiver!.status).toBe('failed');
    expect(h.sender.status).toBe('cancelled');
    expect(h.sEvents).toContainEqual({ type: 'cancelled', by: 'peer', reason: 'timeout' });
  });

  it('a receiver that keeps resuming without progress: the sender fails with TRANSFER_STALLED', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(20_000, 6)],
      chunkSize: 1024,
      sender: { maxStalls: 3 },
      tamper: (b, dir) => (dir === 'toReceiver' && b[1] === 5 ? [] : [b]),
    });
    await h.run();
    expect(h.sFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_STALLED']);
    expect(h.sender.status).toBe('failed');
    expect(h.receiver!.status).toBe('cancelled');
  });

  it('a huge declared file costs the receiver no memory: its state is a few numbers', async () => {
    const offer = { name: 'big', type: '', size: 4 * 2 ** 40, chunkSize: 261120 };
    const made = TransferReceiver.fromOffer(
      { type: 'offer', id: new Uint8Array(16), files: [offer] },
      { writeChunk: async () => {}, send: () => {}, now: () => 0 },
    );
    if (!made.ok) throw new Error(made.message);
    const r = await made.receiver.accept();
    expect(r.ok).toBe(true);
    expect(made.receiver.toJSON().progress[0]).toMatchObject({
      verified: 0,
      expected: null,
      written: null,
      done: false,
    });
  });

  it('argument checks name the argument', async () => {
    const f = { name: 'a', type: '', size: 10, chunkSize: 1024 };
    const io = { readSlice: async () => new Uint8Array(0), send: () => {}, canSend: () => true, now: () => 0 };
    expect(() => TransferSender.create({ id: new Uint8Array(15), files: [f], io })).toThrow(/id: expected 16 bytes/);
    expect(() => TransferSender.create({ id: new Uint8Array(16), files: [], io })).toThrow(/files:/);
    expect(() => TransferSender.create({ id: new Uint8Array(16), files: [{ ...f, chunkSize: 1000 }], io })).toThrow(
      /chunkSize/,
    );
    expect(() => TransferSender.create({ id: new Uint8Array(16), files: [f], io, windowBytes: 0 })).toThrow(
      /windowBytes/,
    );
    expect(() => TransferSender.restore({ v: 1 } as never, io)).toThrow(/state/);
    const long = Array.from({ length: 256 }, (_, i) => ({
      name: `${i}-${'n'.repeat(250)}`,
      type: '',
      size: 0,
      chunkSize: 1024,
    }));
    expect(() => TransferSender.create({ id: new Uint8Array(16), files: long, io })).toThrow(/split the files/);
    expect(() => TransferSender.create({ id: new Uint8Array(16), files: long.slice(0, 246), io })).toThrow(
      /split the files/,
    );
    expect(TransferSender.create({ id: new Uint8Array(16), files: long.slice(0, 240), io }).status).toBe('offered');
  });

  it('acks are cumulative: chunks that wait in the queue together are acknowledged by one ack; a lone chunk at once', async () => {
    const data = pseudoRandomBytes(40 * 1024, 9);
    const h = await Harness.create({
      files: [data],
      chunkSize: 1024,
      channelSlots: 1000,
      sender: { windowBytes: 1 << 20 },
      receiver: { windowBytes: 1 << 20 },
    });
    await h.run(200_000, () => h.sentChunks.length > 0); // offer, accept, hash list: chunks start flowing
    while (h.toS.length) await h.sender.receive(h.toS.shift()!);
    await h.sender.pump();
    await deliverAllButChunks(h);
    const acks = () =>
      h.toS
        .map((b) => decodeTransfer(b, 'sender'))
        .filter((d) => d.ok && d.message.type === 'ack')
        .map((d) => (d.ok && d.message.type === 'ack' ? d.message.verified : -1));
    // One chunk alone: acknowledged as soon as it is verified.
    await h.receiver!.receive(h.toR.shift()!);
    expect(acks()).toEqual([1]);
    // The rest arrive together: one ack for all of them (the file's last chunk forces it).
    const rest = h.toR.splice(0);
    expect(rest.length).toBe(39);
    await Promise.all(rest.map((b) => h.receiver!.receive(b)));
    expect(acks()).toEqual([1, 40]);
    expect(h.receiver!.status).toBe('done');
    expect(h.out[0]).toEqual(data);
  });

  it('many chunks queued at once still get an ack every quarter of the window, so a sender never waits for the queue to drain', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(64 * 1024, 10)],
      chunkSize: 1024,
      channelSlots: 1000,
      sender: { windowBytes: 1 << 20 },
      receiver: { windowBytes: 16 * 1024 },
    });
    await h.run(200_000, () => h.sentChunks.length > 0);
    while (h.toS.length) await h.sender.receive(h.toS.shift()!);
    await h.sender.pump();
    await deliverAllButChunks(h);
    const batch = h.toR.splice(0);
    expect(batch.length).toBe(16); // the receiver's 16 KiB window
    await Promise.all(batch.map((b) => h.receiver!.receive(b)));
    const acked = h.toS
      .map((b) => decodeTransfer(b, 'sender'))
      .filter((d) => d.ok && d.message.type === 'ack')
      .map((d) => (d.ok && d.message.type === 'ack' ? d.message.verified : -1));
    expect(acked).toEqual([4, 8, 12, 16]);
  });
});

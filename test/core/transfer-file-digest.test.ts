/**
 * The receiver with the whole-file SHA-256 kept by its caller (`ReceiverIo.fileDigest`, docs/files.md
 * §3 "Whole-file hash"; the app's OPFS worker hashes the bytes it writes): the file still verifies
 * only if the caller's digest equals the offer's, the state carries no midstate, and a reload
 * resumes with the caller hashing its verified prefix again.
 */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { TransferReceiver, type ReceiverState } from '../../src/core/transfer';
import { equal, Harness, pseudoRandomBytes } from './transfer-harness';

const files = () => [new Uint8Array(0), pseudoRandomBytes(1000, 1), pseudoRandomBytes(3 * 1024 * 1024 + 77, 2)];

describe('transfer with the whole-file hash kept by the caller', () => {
  it('several files arrive byte-identical, each checked against the digest of what was written', async () => {
    const asked: number[] = [];
    const h = await Harness.create({
      files: files(),
      chunkSize: 65536,
      fileDigest: async (i, w) => {
        asked.push(i);
        return sha256(w);
      },
    });
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    h.o.files.forEach((f, i) => expect(equal(h.out[i]!, f)).toBe(true));
    expect(
      h.rEvents
        .filter((e) => e.type === 'file-complete')
        .map((e) => (e as { file: number }).file)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(asked.sort()).toEqual([1, 2]); // an empty file's digest is SHA-256 of nothing, known without asking
  });

  it('a disk that changes a byte after the chunk verified is caught by the whole-file hash: never complete', async () => {
    const h = await Harness.create({ files: [pseudoRandomBytes(300_000, 3)], chunkSize: 65536, fileDigest: 'written' });
    const msg = h.toR.shift()!;
    const io = h.receiverIo();
    const made = TransferReceiver.fromOffer(msg, {
      ...io,
      writeChunk: async (i, off, b) => {
        await io.writeChunk(i, off, b);
        if (off === 65536) h.out[i]![off + 5]! ^= 1;
      },
    });
    if (!made.ok) throw new Error(made.message);
    h.receiver = made.receiver;
    await made.receiver.accept();
    await h.run();
    expect(h.rFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_FILE_HASH_MISMATCH']);
    expect(h.rEvents.some((e) => e.type === 'file-complete' || e.type === 'complete')).toBe(false);
    expect(h.receiver.status).toBe('failed');
    expect(h.sender.status).toBe('cancelled');
  });

  it('a caller whose digest fails is a fatal TRANSFER_IO, and the sender is told', async () => {
    const h = await Harness.create({
      files: [pseudoRandomBytes(5000, 4)],
      chunkSize: 1024,
      fileDigest: async () => {
        throw new Error('worker gone');
      },
    });
    await h.run();
    expect(h.rFailures.filter((f) => f.fatal).map((f) => f.code)).toEqual(['TRANSFER_IO']);
    expect(h.completed('receiver')).toBe(false);
    expect(h.sender.status).toBe('cancelled');
  });

  it('a reload midway resumes byte-identical; the state has no midstate and needs the caller to restore', async () => {
    const data = pseudoRandomBytes(2 * 1024 * 1024 + 5, 5);
    const h = await Harness.create({ files: [data], chunkSize: 65536, fileDigest: 'written' });
    await h.run(200_000, () => (h.receiver?.progress().done ?? 0) > 1024 * 1024);
    const state = JSON.parse(JSON.stringify(h.receiver!.toJSON())) as ReceiverState;
    expect(state.progress[0]!.verified).toBeGreaterThan(0);
    expect(state.progress[0]!.mid).toBeNull();
    expect(() => TransferReceiver.restore(state, { ...h.receiverIo(), fileDigest: undefined })).toThrow(/midstate/);
    h.reload();
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, data)).toBe(true);
  });

  it('a state saved with a midstate (hashed in the receiver) restores into the caller-hashed mode', async () => {
    const data = pseudoRandomBytes(1024 * 1024, 6);
    const h = await Harness.create({ files: [data], chunkSize: 65536 });
    await h.run(200_000, () => (h.receiver?.progress().done ?? 0) > 300_000);
    expect(h.receiver!.toJSON().progress[0]!.mid).not.toBeNull();
    (h.o as { fileDigest?: 'written' }).fileDigest = 'written';
    h.reload();
    await h.run();
    expect(h.completed('receiver')).toBe(true);
    expect(equal(h.out[0]!, data)).toBe(true);
  });
});

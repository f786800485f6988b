import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TransferReceiver, TransferSender, type ReceiverState, type SenderState } from '../../src/core/transfer';
import { upgradeState } from '../../src/net/transfer-entry';
import { equal, Harness, pseudoRandomBytes } from '../core/transfer-harness';

/** The shape a build before docs/files.md §11 saved (v1: hashes in the offer, a hash list). */
function asV1(s: SenderState | ReceiverState, data: Uint8Array): unknown {
  const files = s.files.map((f) => ({ ...f, sha256: bytesToHex(sha256(data)), hashListRoot: '00'.repeat(32) }));
  if (s.role === 'sender') {
    const { hashing: _, ...rest } = s;
    return { ...rest, v: 1, files: files.map((f) => ({ ...f, hashes: '' })) };
  }
  return {
    ...s,
    v: 1,
    files,
    progress: s.progress.map((p) => p && { verified: p.verified, hashes: '', mid: p.mid, done: p.done }),
  };
}

/** The shape the build of docs/files.md §11 saved (v2: the whole-file SHA-256 of the bytes, not §12's file digest). */
function asV2(s: SenderState | ReceiverState, data: Uint8Array): unknown {
  if (s.role === 'sender')
    return { ...s, v: 2, hashing: s.hashing.map((x) => ({ ...x, state: x.state && `01${x.state}` })) };
  return {
    ...s,
    v: 2,
    progress: s.progress.map((p) => p && { ...p, mid: null, expected: bytesToHex(sha256(data)) }),
  };
}

describe('states saved by older builds (v1: before docs/files.md §11; v2: before §12) restore', () => {
  for (const [name, older] of [
    ['v1', asV1],
    ['v2', asV2],
  ] as const)
    it(`a transfer saved mid-file by the ${name} build resumes on this one and verifies: the file starts over, the sender hashes again`, async () => {
      const data = pseudoRandomBytes(30 * 1024, 61);
      const h = await Harness.create({ files: [data], chunkSize: 1024 });
      await h.run(200_000, () => h.writes >= 10);
      const s = older(h.sender.toJSON(), data) as SenderState;
      const r = older(h.receiver!.toJSON(), data) as ReceiverState;
      expect(() => TransferSender.restore(s, h.senderIo())).toThrow(/v3/);
      expect(() => TransferReceiver.restore(r, h.receiverIo())).toThrow(/v3/);
      h.toR = [];
      h.toS = [];
      h.sender = TransferSender.restore(upgradeState(s) as SenderState, h.senderIo());
      h.receiver = TransferReceiver.restore(upgradeState(r) as ReceiverState, h.receiverIo());
      // Another hash than §12's: nothing of it is kept (an old digest would fail a good file).
      expect(h.receiver.toJSON().progress[0]).toMatchObject({ verified: 0, expected: null, written: null });
      expect(h.sender.toJSON().hashing[0]).toMatchObject({ hashed: 0, state: null });
      h.receiver.resume();
      await h.run();
      expect(h.completed('receiver') && h.completed('sender')).toBe(true);
      expect(equal(h.out[0]!, data)).toBe(true);
    });

  it('a v3 state is returned as it is', async () => {
    const h = await Harness.create({ files: [pseudoRandomBytes(3000, 62)], chunkSize: 1024 });
    const s = h.sender.toJSON();
    expect(upgradeState(s)).toBe(s);
  });
});

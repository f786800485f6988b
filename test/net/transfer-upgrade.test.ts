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

describe('states saved before docs/files.md §11 (v1) restore', () => {
  it('a transfer saved mid-file by the old build resumes on this one and verifies (the old offer hash is the digest)', async () => {
    const data = pseudoRandomBytes(30 * 1024, 61);
    const h = await Harness.create({ files: [data], chunkSize: 1024 });
    await h.run(200_000, () => h.writes >= 10);
    const s = asV1(h.sender.toJSON(), data) as SenderState;
    const r = asV1(h.receiver!.toJSON(), data) as ReceiverState;
    expect(() => TransferSender.restore(s, h.senderIo())).toThrow(/v2/);
    h.toR = [];
    h.toS = [];
    h.sender = TransferSender.restore(upgradeState(s) as SenderState, h.senderIo());
    h.receiver = TransferReceiver.restore(upgradeState(r) as ReceiverState, h.receiverIo());
    expect(h.receiver.toJSON().progress[0]!.expected).toBe(bytesToHex(sha256(data)));
    h.receiver.resume();
    await h.run();
    expect(h.completed('receiver') && h.completed('sender')).toBe(true);
    expect(equal(h.out[0]!, data)).toBe(true);
  });

  it('a v2 state is returned as it is', async () => {
    const h = await Harness.create({ files: [pseudoRandomBytes(3000, 62)], chunkSize: 1024 });
    const s = h.sender.toJSON();
    expect(upgradeState(s)).toBe(s);
  });
});

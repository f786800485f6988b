/**
 * A resume that overtakes chunks already in flight (docs/files.md §2–§3). After a relink, a
 * reload of the receiver or a stall resume, the sender starts again from the receiver's verified
 * prefix, but chunks it sent before it handled the resume still arrive. The receiver holds them
 * ahead of the gap; once the gap is filled its prefix jumps past what the sender has sent again
 * since the resume. That ack covers chunks this sender did send, so it must count: refused as
 * "never sent" (TRANSFER_BAD_ACK), the sender's window stayed full and neither side moved
 * (found with the file digest's WIP commit b1ea403, transfers-cleanup.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeTransfer,
  TransferReceiver,
  TransferSender,
  type TransferFailure,
  type SenderIo,
  type TransferResult,
} from '../../src/core/transfer';
import { equal, pseudoRandomBytes } from './transfer-harness';

const KiB = 1024;

/** Sender and receiver over two hand-driven queues; `slots` is how many messages the sender may still send. */
function pair(file: Uint8Array, chunkSize: number, windowBytes: number) {
  const toR: Uint8Array[] = [],
    toS: Uint8Array[] = [];
  const out = new Uint8Array(file.length);
  const failures: TransferFailure[] = [];
  const s = { slots: Infinity };
  const sIo: SenderIo = {
    readSlice: async (_f, a, b) => file.slice(a, b),
    send: (b) => {
      s.slots--;
      toR.push(b);
    },
    canSend: () => s.slots > 0,
    now: () => 0,
  };
  let sender = TransferSender.create({
    id: new Uint8Array(16).fill(3),
    files: [{ name: 'f.bin', type: 'application/octet-stream', size: file.length, chunkSize }],
    windowBytes,
    io: sIo,
  });
  let receiver: TransferReceiver | null = null;
  const note = (r: TransferResult) => {
    if (!r.ok) failures.push(r);
    return r;
  };
  const rIo = {
    writeChunk: async (_f: number, off: number, b: Uint8Array) => out.set(b, off),
    send: (b: Uint8Array) => toS.push(b),
    now: () => 0,
  };
  return {
    toR,
    toS,
    out,
    failures,
    s,
    get sender() {
      return sender;
    },
    /** The sending page reloads: a new sender from its saved state (it waits for the receiver's resume). */
    reloadSender() {
      sender = TransferSender.restore(JSON.parse(JSON.stringify(sender.toJSON())), sIo);
    },
    get receiver() {
      return receiver!;
    },
    async start() {
      sender.offer();
      const made = TransferReceiver.fromOffer(toR.shift()!, rIo, { windowBytes });
      if (!made.ok) throw new Error(made.message);
      receiver = made.receiver;
      note(await receiver.accept());
      note(await sender.receive(toS.shift()!)); // the accept; the sender fills its window
    },
    /** Delivers the receiver's messages to the sender, in order. */
    async toSender() {
      while (toS.length) note(await sender.receive(toS.shift()!));
    },
    /** Delivers the given queued messages to the receiver, all queued at once (as a busy page does). */
    async toReceiver(msgs: Uint8Array[]) {
      await Promise.all(msgs.map((m) => receiver!.receive(m).then(note)));
    },
    kind: (b: Uint8Array) => {
      const d = decodeTransfer(b, 'local');
      return d.ok ? d.message : null;
    },
  };
}

describe('transfer: a resume overtaking chunks in flight', () => {
  it('an ack beyond what the sender re-sent since the resume counts (chunks sent before it), and the file completes', async () => {
    const chunk = 4 * KiB,
      file = pseudoRandomBytes(12 * chunk, 41);
    const p = pair(file, chunk, 8 * chunk); // a window of 8 chunks, a file of 12
    await p.start();
    const first = p.toR.splice(0); // chunks 0..7: the window, in flight
    expect(first.map((b) => p.kind(b)?.type)).toEqual(Array(8).fill('chunk'));
    // The receiver resumes before any of them arrived (a relink, a reload, a stall): verified 0.
    p.receiver.resume();
    p.s.slots = 1; // the sender re-sends only chunk 0 before the ack comes back
    await p.toSender();
    const again = p.toR.splice(0);
    expect(again.map((b) => [p.kind(b)?.type, (p.kind(b) as { index?: number })?.index])).toEqual([['chunk', 0]]);
    // Chunk 0 was lost; 1..7 from before the resume arrive, then the re-sent 0: the prefix jumps to 8.
    await p.toReceiver([...first.slice(1), ...again]);
    expect(p.toS.map((b) => p.kind(b))).toMatchObject([{ type: 'ack', verified: 8 }]);
    p.s.slots = Infinity;
    await p.toSender(); // chunks 0..7 were all sent by this sender: the ack counts
    expect(p.failures.map((f) => f.code)).not.toContain('TRANSFER_BAD_ACK');
    for (let round = 0; round < 20; round++) {
      await p.sender.pump(); // as the glue does when the channel drains
      await p.toReceiver(p.toR.splice(0));
      await p.toSender();
    }
    expect(p.receiver.status).toBe('done');
    expect(p.sender.status).toBe('done');
    expect(equal(p.out, file)).toBe(true);
  });

  it('a reloaded sender whose resent chunks fill a gap in front of held chunks that reach its window edge: the receiver re-acks the duplicates, and the file completes without a stall resume', async () => {
    const chunk = 4 * KiB,
      file = pseudoRandomBytes(12 * chunk, 43);
    const p = pair(file, chunk, 8 * chunk); // a window of 8 chunks, a file of 12
    await p.start();
    const first = p.toR.splice(0); // chunks 0..7: the window
    expect(first.map((b) => p.kind(b)?.type)).toEqual(Array(8).fill('chunk'));
    // Chunk 0 is lost with the old link; 1..7 arrive and are held ahead of the gap (they reach
    // the window's edge, so a resent window brings no chunk the receiver lacks beyond the gap).
    await p.toReceiver(first.slice(1));
    expect(p.toS).toEqual([]);
    p.reloadSender(); // saved with nothing acknowledged: it knows of no chunk sent
    p.receiver.resume(); // on the new link: verified 0
    p.s.slots = 1; // the reloaded sender re-sends only chunk 0 before the receiver's ack comes back
    await p.toSender();
    const again = p.toR.splice(0);
    expect(again.map((b) => [p.kind(b)?.type, (p.kind(b) as { index?: number })?.index])).toEqual([['chunk', 0]]);
    await p.toReceiver(again); // the gap is filled: the prefix jumps to 8
    expect(p.toS.map((b) => p.kind(b))).toMatchObject([{ type: 'ack', verified: 8 }]);
    p.s.slots = Infinity;
    await p.toSender(); // beyond what this sender sent since its reload: refused; it re-sends 1..7
    expect(p.failures.map((f) => f.code)).toEqual(['TRANSFER_BAD_ACK']);
    // No tick is ever called: only the messages themselves may move the transfer on.
    for (let round = 0; round < 20 && p.receiver.status !== 'done'; round++) {
      await p.sender.pump(); // as the glue does when the channel drains
      await p.toReceiver(p.toR.splice(0));
      await p.toSender();
    }
    expect(p.receiver.status).toBe('done');
    await p.toSender();
    expect(p.sender.status).toBe('done');
    expect(equal(p.out, file)).toBe(true);
  });

  it('re-acks are bounded: at most one per file per batch of incoming messages, whatever the batch holds', async () => {
    const chunk = 4 * KiB,
      file = pseudoRandomBytes(12 * chunk, 47);
    const p = pair(file, chunk, 8 * chunk);
    await p.start();
    const first = p.toR.splice(0); // chunks 0..7
    await p.toReceiver(first);
    expect(p.toS.map((b) => p.kind(b)).at(-1)).toMatchObject({ type: 'ack', verified: 8 });
    p.toS.length = 0;
    // A peer replays the verified chunks, many times over, in one batch: one ack answers them.
    await p.toReceiver([...first, ...first, ...first]);
    expect(p.toS.map((b) => p.kind(b))).toMatchObject([{ type: 'ack', verified: 8 }]);
    p.toS.length = 0;
    // The same chunks one at a time (each its own batch): one ack each, never more.
    for (const b of first) await p.toReceiver([b]);
    expect(p.toS.map((b) => p.kind(b))).toMatchObject(Array(first.length).fill({ type: 'ack', verified: 8 }));
  });
});

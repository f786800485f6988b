/**
 * In-memory transport for the transfer state machines: two message queues, a fake clock, a
 * "bufferedAmount" limit on the sender's queue, and hooks to drop, duplicate, corrupt and
 * reorder messages. Files are plain Uint8Arrays; the receiver writes into zeroed buffers.
 */
import type { ChunkDigest } from '../../src/core/file-digest';
import {
  decodeTransfer,
  TransferReceiver,
  TransferSender,
  type FileOffer,
  type ReceiverOptions,
  type ReceiverState,
  type SenderOptions,
  type SenderState,
  type TransferEvent,
  type TransferFailure,
  type TransferResult,
} from '../../src/core/transfer';

export type Dir = 'toReceiver' | 'toSender';
/** Returns the messages to actually enqueue for one sent message ([] drops it). */
export type Tamper = (bytes: Uint8Array, dir: Dir) => Uint8Array[];

export interface HarnessOptions {
  files: Uint8Array[];
  chunkSize: number;
  /** Which files the receiver accepts; 'decline' to decline; default all. */
  decide?: (n: number) => number[] | 'decline';
  sender?: SenderOptions;
  receiver?: ReceiverOptions;
  tamper?: Tamper;
  /** Messages the sender's channel buffers before canSend() turns false. */
  channelSlots?: number;
  /** Picks which queue/position to deliver next (random interleavings); default: FIFO, alternating. */
  rng?: () => number;
  /** Both sides' chunk digest (docs/files.md §12); default the core's (@noble). */
  chunkDigest?: ChunkDigest;
  /** The receiver's `holdAcks` (docs/files.md §13: the sender takes its window); default off. */
  holdAcks?: boolean;
  /** Gives the receiver `writeChunkDigest` (docs/files.md §13): it writes, then returns this digest. */
  hashOnWrite?: (bytes: Uint8Array, file: number, offset: number) => Promise<Uint8Array>;
}

export class Harness {
  toR: Uint8Array[] = [];
  toS: Uint8Array[] = [];
  now = 0;
  sender!: TransferSender;
  receiver: TransferReceiver | null = null;
  out: Uint8Array[];
  sEvents: TransferEvent[] = [];
  rEvents: TransferEvent[] = [];
  sFailures: TransferFailure[] = [];
  rFailures: TransferFailure[] = [];
  /** Every chunk message the sender sent, in order: [file, index]. */
  sentChunks: [number, number][] = [];
  writes = 0;
  private turn = 0;

  constructor(
    readonly o: HarnessOptions,
    readonly prepared: FileOffer[],
  ) {
    this.out = o.files.map((f) => new Uint8Array(f.length));
  }

  static async create(o: HarnessOptions): Promise<Harness> {
    const prepared = o.files.map((f, i) => ({
      name: `file-${i}.bin`,
      type: 'application/octet-stream',
      size: f.length,
      chunkSize: o.chunkSize,
    }));
    const h = new Harness(o, prepared);
    h.sender = TransferSender.create({
      id: new Uint8Array(16).fill(7),
      files: prepared,
      io: h.senderIo(),
      ...o.sender,
    });
    h.sender.offer();
    return h;
  }

  senderIo() {
    return {
      readSlice: async (i: number, s: number, e: number) => this.o.files[i]!.slice(s, e),
      send: (b: Uint8Array) => {
        const d = decodeTransfer(b, 'local');
        if (d.ok && d.message.type === 'chunk') this.sentChunks.push([d.message.file, d.message.index]);
        this.enqueue(b, 'toReceiver');
      },
      canSend: () => this.toR.length < (this.o.channelSlots ?? 8),
      ...(this.o.chunkDigest ? { chunkDigest: this.o.chunkDigest } : {}),
      now: () => this.now,
    };
  }

  receiverIo() {
    const writeChunk = async (i: number, off: number, b: Uint8Array) => {
      if (off + b.length > this.out[i]!.length) throw new RangeError(`write beyond file ${i}`);
      this.out[i]!.set(b, off);
      this.writes++;
    };
    const hash = this.o.hashOnWrite;
    return {
      writeChunk,
      ...(hash
        ? {
            writeChunkDigest: async (i: number, off: number, b: Uint8Array) => {
              const sha = hash(b, i, off);
              await writeChunk(i, off, b);
              return sha;
            },
          }
        : {}),
      send: (b: Uint8Array) => this.enqueue(b, 'toSender'),
      now: () => this.now,
      ...(this.o.chunkDigest ? { chunkDigest: this.o.chunkDigest } : {}),
      ...(this.o.holdAcks ? { holdAcks: () => true } : {}),
    };
  }

  private enqueue(b: Uint8Array, dir: Dir): void {
    const q = dir === 'toReceiver' ? this.toR : this.toS;
    for (const m of this.o.tamper ? this.o.tamper(b, dir) : [b]) q.push(m);
  }

  private record(r: TransferResult, side: 'sender' | 'receiver'): void {
    (side === 'sender' ? this.sEvents : this.rEvents).push(...r.events);
    if (!r.ok) (side === 'sender' ? this.sFailures : this.rFailures).push(r);
  }

  private take(q: Uint8Array[]): Uint8Array {
    const i = this.o.rng ? Math.min(q.length - 1, Math.floor(this.o.rng() * Math.min(q.length, 3))) : 0;
    return q.splice(i, 1)[0]!;
  }

  /** Delivers one message; false when both queues are empty. */
  async step(): Promise<boolean> {
    if (!this.toR.length && !this.toS.length) return false;
    const pickR = this.toR.length && (!this.toS.length || (this.o.rng ? this.o.rng() < 0.5 : this.turn++ % 2 === 0));
    this.now += 1;
    if (pickR) {
      const b = this.take(this.toR);
      if (!this.receiver) {
        const r = TransferReceiver.fromOffer(b, this.receiverIo(), this.o.receiver);
        if (!r.ok) {
          this.rFailures.push(r);
          return true;
        }
        this.receiver = r.receiver;
        const d = this.o.decide ? this.o.decide(r.files.length) : r.files.map((_, i) => i);
        if (d === 'decline') this.receiver.decline();
        else this.record(await this.receiver.accept(d), 'receiver');
      } else this.record(await this.receiver.receive(b), 'receiver');
      if (this.toR.length < (this.o.channelSlots ?? 8) / 2) this.record(await this.sender.pump(), 'sender');
    } else {
      this.record(await this.sender.receive(this.take(this.toS)), 'sender');
    }
    return true;
  }

  /** Runs until both sides are idle, ticking the clock past stalls; stops after `maxSteps`. */
  async run(maxSteps = 200_000, until?: () => boolean): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      if (until?.()) return;
      if (await this.step()) continue;
      const final = (s: string | undefined) => s !== 'offered' && s !== 'active';
      if (final(this.sender.status) && (!this.receiver || final(this.receiver.status))) return;
      this.now += 20_000; // idle: let the stall timers fire
      this.sender.tick(this.now);
      const stalled = this.receiver?.tick(this.now);
      if (stalled) this.rFailures.push(stalled);
      this.record(await this.sender.pump(), 'sender');
      if (!this.toR.length && !this.toS.length && ++this.idle > 20) return;
    }
  }
  private idle = 0;

  /** Drops everything in flight and rebuilds both sides from their JSON state (a page reload). */
  reload(): void {
    this.toR = [];
    this.toS = [];
    const s = JSON.parse(JSON.stringify(this.sender.toJSON())) as SenderState;
    const r = JSON.parse(JSON.stringify(this.receiver!.toJSON())) as ReceiverState;
    this.sender = TransferSender.restore(s, this.senderIo());
    this.receiver = TransferReceiver.restore(r, this.receiverIo());
    this.receiver.resume();
  }

  completed(side: 'sender' | 'receiver'): boolean {
    return (side === 'sender' ? this.sEvents : this.rEvents).some((e) => e.type === 'complete');
  }
}

/** Deterministic bytes (xorshift) — fast enough for multi-MB files. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * A real link for node tests and benchmarks until src/net lands here: two node-datachannel
 * peers on 127.0.0.1 (no ICE servers, descriptions exchanged in-process), and on the data
 * channel the real secure frames (frames.ts, AES-256-GCM) around wire messages — what
 * `SecureLink` does, minus the handshake. It exposes the backpressure additions the
 * TransferManager uses (`bufferedAmount`, `onDrain`).
 */
import nodeDataChannel, { type DataChannel, type PeerConnection } from 'node-datachannel';
import type { FrameChannel } from '../../src/core/frames';
import { decodeWire, encodeWire, type WireMessage } from '../../src/core/wire';
import { DRAIN_THRESHOLD } from '../../src/net/peer';
import type { TransferLink } from '../../src/net/transfers';
import { confirmedPair } from './frame-pair';

type Dc = DataChannel;
/** SecureLink's mark (src/net/secure-link.ts): above this much in the data channel, send() waits for it to drain. */
const LINK_HIGH_WATER = 4 * DRAIN_THRESHOLD;

export class NdcLink implements TransferLink {
  #tail: Promise<unknown> = Promise.resolve();
  #rtail: Promise<unknown> = Promise.resolve();
  #queued = 0;
  readonly #msg = new Set<(m: WireMessage) => void>();
  readonly #close = new Set<(e: { clean: boolean }) => void>();
  readonly #drain = new Set<() => void>();
  closed = false;
  sentFrames = 0;

  constructor(
    readonly dc: Dc,
    readonly frames: FrameChannel,
    readonly lowWater: number,
    readonly closeAll: () => void,
  ) {
    dc.setBufferedAmountLowThreshold(lowWater);
    dc.onBufferedAmountLow(() => {
      for (const cb of [...this.#drain]) cb();
    });
    dc.onMessage((msg: string | Buffer | ArrayBuffer) => {
      const bytes = typeof msg === 'string' ? new TextEncoder().encode(msg) : new Uint8Array(msg);
      this.#rtail = this.#rtail.then(async () => {
        const r = await frames.open(bytes);
        if (!r.ok) throw new Error(`NdcLink: frame refused: ${r.code}`);
        if (r.kind !== 'data') return;
        const w = decodeWire(r.payload);
        if (!w.ok) throw new Error(`NdcLink: wire refused: ${w.code}`);
        for (const cb of [...this.#msg]) cb(w.message);
      });
    });
    dc.onClosed(() => this.#closed());
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.#queued + this.dc.bufferedAmount();
  }

  send(m: WireMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('NdcLink: closed'));
    const bytes = encodeWire(m);
    const sealed = this.frames.seal(bytes);
    this.#queued += bytes.length;
    const sent = this.#tail.then(async () => {
      const frame = await sealed;
      while (!this.closed && this.dc.bufferedAmount() > LINK_HIGH_WATER)
        await new Promise<void>((r) => {
          const off = this.onDrain(() => {
            off();
            r();
          });
        });
      this.#queued -= bytes.length;
      if (this.closed) throw new Error('NdcLink: closed before sending');
      this.dc.sendMessageBinary(frame);
      this.sentFrames++;
    });
    this.#tail = sent.catch(() => undefined);
    return sent;
  }

  onMessage(cb: (m: WireMessage) => void): () => void {
    this.#msg.add(cb);
    return () => {
      this.#msg.delete(cb);
    };
  }
  onClose(cb: (e: { clean: boolean }) => void): () => void {
    this.#close.add(cb);
    return () => {
      this.#close.delete(cb);
    };
  }
  onDrain(cb: () => void): () => void {
    this.#drain.add(cb);
    return () => {
      this.#drain.delete(cb);
    };
  }

  /** Cuts the connection (both ends hear onClose). */
  cut(): void {
    this.closeAll();
  }

  #closed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of [...this.#drain]) cb();
    for (const cb of [...this.#close]) cb({ clean: false });
  }
}

/**
 * Hands `from`'s description and loopback candidates to `to`. node-datachannel delivers
 * descriptions and candidates through separate thread-safe callbacks whose order is not kept, so
 * a candidate can arrive before the description it belongs to; `addRemoteCandidate` then throws
 * "Got a remote candidate without remote description", and a throw inside a native callback
 * aborts the whole process (seen on 2026-12-05: a Vitest worker died). Candidates wait until the
 * description is set, and nothing thrown here may leave the callback.
 */
export function wireSignals(from: PeerConnection, to: PeerConnection): void {
  let described = false;
  const early: [string, string][] = [];
  const add = (c: string, mid: string) => {
    try {
      to.addRemoteCandidate(c, mid);
    } catch {
      /* closed meanwhile: the test sees the close */
    }
  };
  from.onLocalDescription((sdp, type) => {
    try {
      to.setRemoteDescription(sdp, type);
    } catch {
      return; /* closed meanwhile */
    }
    described = true;
    for (const [c, mid] of early.splice(0)) add(c, mid);
  });
  from.onLocalCandidate((c, mid) => {
    if (!/ 127\.0\.0\.1 /.test(c)) return;
    if (described) add(c, mid);
    else early.push([c, mid]);
  });
}

/** Opens a loopback data channel between two node-datachannel peers and wraps both ends. */
export async function ndcPair(o: { lowWater?: number } = {}): Promise<[NdcLink, NdcLink]> {
  const lowWater = o.lowWater ?? DRAIN_THRESHOLD; // the browser link's threshold (src/net/peer.ts)
  const cfg = { iceServers: [], bindAddress: '127.0.0.1', enableIceUdpMux: false, maxMessageSize: 262144 };
  const a = new nodeDataChannel.PeerConnection('a', cfg),
    b = new nodeDataChannel.PeerConnection('b', cfg);
  wireSignals(a, b);
  wireSignals(b, a);
  const bDc = new Promise<Dc>((resolve) => b.onDataChannel((dc) => resolve(dc)));
  const aDc = a.createDataChannel('parley');
  await new Promise<void>((resolve) => aDc.onOpen(() => resolve()));
  const dcB = await bDc;
  const { a: fa, b: fb } = await confirmedPair('auto');
  const closeAll = () => {
    try {
      aDc.close();
      dcB.close();
      a.close();
      b.close();
    } catch {
      /* already closed */
    }
  };
  return [new NdcLink(aDc, fa, lowWater, closeAll), new NdcLink(dcB, fb, lowWater, closeAll)];
}

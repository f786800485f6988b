/**
 * The last two phases of `openLink` (docs/net.md, "Link establishment"): the secret handshake
 * over the data channel that has just opened, then key confirmation through secure frames.
 * `LinkAttempt` (link.ts) owns the attempt; this class owns what happens on the channel.
 * @module
 */
import { FrameChannel } from '../core/frames';
import { ShsClient, ShsServer, networkKeyFromFingerprints, type ShsSession, type ShsStep } from '../core/shs';
import type { LinkOptions } from './link-types';
import type { DataPeer } from './peer';
import { FramedLink, type SecureLink } from './secure-link';
import { CURRENT, type Announcement } from '../core/features';

/** Where an attempt is; failures name it as their `step`. */
export type LinkPhase = 'rendezvous' | 'webrtc' | 'handshake' | 'confirmation';

/** What the handshake needs of the attempt that opened the data channel (`LinkAttempt`). */
export interface HandshakeHost {
  /** True once the attempt has ended (a link, or a failure). */
  readonly settled: boolean;
  readonly phase: LinkPhase;
  enter(phase: 'handshake' | 'confirmation'): void;
  /** Ends the attempt with LINK_HANDSHAKE_FAILED; `code` is the SHS failure's, if any. */
  failHandshake(why: string, code?: string): void;
  succeed(link: SecureLink): void;
  /** Runs `cleanup` when the attempt ends. */
  onFinish(cleanup: () => void): void;
}

/** How often the SHS machine's timeout is checked (`tick`). */
const TICK_MS = 200;

/**
 * Handshake and confirmation on one open data channel. Received bytes and the channel's close
 * are handled one at a time, in order; the first failure ends the attempt through the host.
 */
export class LinkHandshake {
  readonly #peer: DataPeer;
  readonly #shs: ShsClient | ShsServer;
  readonly #host: HandshakeHost;
  /** Set when SHS has finished: the frame channel keyed from its session. */
  #confirming: { frames: FrameChannel; session: ShsSession } | null = null;
  /** Set once the peer's confirmation arrived; from then on every byte is its. */
  #link: FramedLink | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  /** Messages chained on `#tail` and not yet handled: while any are, later ones queue behind them. */
  #queued = 0;
  /** What this side announces as its first data frame (null: nothing, version 1). */
  readonly #own: Announcement | null;

  private constructor(peer: DataPeer, shs: ShsClient | ShsServer, host: HandshakeHost, own: Announcement | null) {
    this.#peer = peer;
    this.#shs = shs;
    this.#host = host;
    this.#own = own;
  }

  /**
   * Handshake: SHS on the open channel, keyed with both ends' DTLS fingerprints; its timeout
   * ends before the attempt's `deadline`.
   */
  static async begin(
    peer: DataPeer,
    host: HandshakeHost,
    o: Pick<LinkOptions, 'identity' | 'shs' | 'features'>,
    deadline: number,
  ): Promise<void> {
    host.enter('handshake');
    const fp = peer.fingerprints();
    if (!fp.ok) {
      host.failHandshake(fp.message);
      return;
    }
    const networkKey = networkKeyFromFingerprints(fp.local, fp.remote);
    const now = Date.now();
    // Ends before the attempt's deadline so that a peer that goes silent mid-handshake is reported
    // as what it is (LINK_HANDSHAKE_FAILED from SHS) rather than as a plain LINK_TIMEOUT.
    const timeoutMs = Math.max(1000, Math.min(10_000, deadline - now - 500));
    const { identity, shs: role } = o;
    const shs =
      role.role === 'client'
        ? new ShsClient({ networkKey, identity, serverPublicKey: role.serverPublicKey, now, timeoutMs })
        : new ShsServer({ networkKey, identity, authorize: role.authorize, now, timeoutMs });
    await new LinkHandshake(peer, shs, host, o.features === undefined ? CURRENT : o.features).#start();
  }

  /** Handshake: listens to the channel, checks the SHS timeout, and as the client sends msg1. */
  async #start(): Promise<void> {
    // These two stay for the link's lifetime (on failure the peer is destroyed anyway).
    this.#peer.onMessage((bytes) => {
      // Once the link is up and nothing is queued, straight to it: a promise hop per message was
      // 10 ms of the receiving page's main thread per 64 MiB of file chunks (docs/files.md §18).
      if (this.#link && this.#queued === 0) {
        try {
          this.#link.receive(bytes);
        } catch (e) {
          this.#host.failHandshake(`internal error: ${String(e)}`);
        }
        return;
      }
      this.#queued++;
      this.#tail = this.#tail
        .then(() => this.#receive(bytes))
        .catch((e: unknown) => this.#host.failHandshake(`internal error: ${String(e)}`))
        .finally(() => this.#queued--);
    });
    this.#peer.onClose(() => {
      this.#queued++;
      this.#tail = this.#tail.then(() => this.#onTransportClosed()).finally(() => this.#queued--);
    });
    const ticker = setInterval(() => {
      if (!this.#confirming && !this.#host.settled) this.#apply(this.#shs.tick(Date.now()));
    }, TICK_MS);
    this.#host.onFinish(() => clearInterval(ticker));
    if (this.#shs instanceof ShsClient) this.#apply(await this.#shs.start());
  }

  async #receive(bytes: Uint8Array): Promise<void> {
    if (this.#link) {
      this.#link.receive(bytes);
      return;
    }
    if (this.#host.settled) return;
    if (this.#confirming) await this.#onConfirmation(this.#confirming, bytes);
    else await this.#onHandshakeBytes(bytes);
  }

  /** Handshake: feeds SHS; when it yields the session, confirmation begins. */
  async #onHandshakeBytes(bytes: Uint8Array): Promise<void> {
    const step = await this.#shs.receive(bytes, Date.now());
    if (!this.#apply(step) || !step.ok || !step.session) return;
    await this.#beginConfirmation(step.session, step.rest);
  }

  /** Sends what SHS produced; false (and the attempt failed) when SHS failed. */
  #apply(step: ShsStep | null): boolean {
    if (!step) return true;
    if (!step.ok) {
      this.#host.failHandshake(step.message, step.code);
      return false;
    }
    if (step.send) this.#peer.send(step.send);
    return true;
  }

  /**
   * Confirmation: our confirmation frame goes out; the peer's may already be here, in `rest`
   * (bytes that came glued to the last SHS message).
   */
  async #beginConfirmation(session: ShsSession, rest: Uint8Array | undefined): Promise<void> {
    this.#host.enter('confirmation');
    const frames = await FrameChannel.create(session);
    this.#confirming = { frames, session };
    if (this.#host.settled) return;
    this.#peer.send(await frames.confirmation());
    if (rest?.length) await this.#onConfirmation(this.#confirming, rest);
  }

  /** Confirmation: the peer's first frame must be its key confirmation; then the link is up. */
  async #onConfirmation(c: { frames: FrameChannel; session: ShsSession }, bytes: Uint8Array): Promise<void> {
    const r = await c.frames.open(bytes);
    if (!r.ok) {
      this.#host.failHandshake(r.message);
      return;
    }
    if (r.kind !== 'confirmed') {
      this.#host.failHandshake(`expected the key confirmation, got a ${r.kind} frame`);
      return;
    }
    this.#link = new FramedLink(
      this.#peer,
      c.frames,
      c.session.remotePublicKey.slice(),
      c.session.handshakeSecret.slice(),
      this.#own,
    );
    this.#host.succeed(this.#link);
  }

  #onTransportClosed(): void {
    if (this.#link) {
      this.#link.transportClosed();
      return;
    }
    if (this.#host.settled) return;
    const closed = this.#shs.closed();
    this.#host.failHandshake(
      closed && !closed.ok
        ? closed.message
        : `the other side hung up during the ${this.#host.phase}: it refused our identity, or it is not who we expected`,
    );
  }
}

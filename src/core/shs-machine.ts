/**
 * The role-independent half of the secret-handshake state machines (`shs.ts`): message
 * buffering and ordering, the timeout, failures, zeroing, and the session key derivation
 * (Scuttlebutt Protocol Guide, "Handshake" and "Box stream").
 * @module
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { assertBytes, failure, type Failure, type Side } from './errors';
import type { Ed25519KeyPair } from './identity';
import {
  authWith,
  sha256,
  sha256Of,
  type CryptoPath,
  type EphemeralKey,
  type LongTermKey,
  type ShsCrypto,
} from './shs-crypto';
import { selectShsCrypto } from './shs-webcrypto';

/** The result of a finished handshake: box-stream compatible keys and nonces. */
export interface ShsSession {
  /** The peer's long-term Ed25519 key (32). */
  remotePublicKey: Uint8Array;
  /** 32 and 24 bytes, for what this side sends. */
  encryptKey: Uint8Array;
  encryptNonce: Uint8Array;
  /** 32 and 24 bytes, for what this side receives. */
  decryptKey: Uint8Array;
  decryptNonce: Uint8Array;
  /** 32, equal on both sides: sha256(sha256(K ‖ ab ‖ aB ‖ Ab)), to bind upper-layer values to this session. */
  handshakeSecret: Uint8Array;
}

/** Stable codes of handshake failures. */
export type ShsErrorCode =
  | 'SHS_MSG1_BAD_HMAC'
  | 'SHS_MSG1_BAD_KEY'
  | 'SHS_MSG2_BAD_HMAC'
  | 'SHS_MSG2_BAD_KEY'
  | 'SHS_MSG3_BAD_AUTH'
  | 'SHS_MSG3_BAD_SIGNATURE'
  | 'SHS_UNAUTHORIZED'
  | 'SHS_AUTHORIZE_ERROR'
  | 'SHS_MSG4_BAD_ACCEPT'
  | 'SHS_MSG4_BAD_SIGNATURE'
  | 'SHS_BAD_SERVER_KEY'
  | 'SHS_CLOSED'
  | 'SHS_TIMEOUT';

/**
 * One step's outcome: bytes to send now and/or the finished session (then `rest` holds any
 * bytes that arrived after the last handshake message: they belong to the frame layer), or
 * the Failure that ended the handshake (close the transport; nothing more is sent).
 */
export type ShsStep = { ok: true; send?: Uint8Array; session?: ShsSession; rest?: Uint8Array } | Failure<ShsErrorCode>;

type Handled = Failure<ShsErrorCode> | { ok: true; send?: Uint8Array; session?: ShsSession };

/** Options common to both roles. */
interface CommonOptions {
  networkKey: Uint8Array;
  identity: Ed25519KeyPair;
  now: number;
  /** Whole-handshake timeout against the `now` values passed in; default 5000 ms. */
  timeoutMs?: number;
  /** Tests only: a raw X25519 scalar to use as this side's ephemeral secret. */
  ephemeralSecret?: Uint8Array;
  /**
   * Which Ed25519/X25519 implementation to use; default `'auto'` (WebCrypto when native), or
   * an injected {@link ShsCrypto} provider (node programs: `nodeShsCrypto`, src/node/).
   */
  crypto?: CryptoPath | 'auto' | ShsCrypto;
}

/** The size of each message on the wire. */
export const SHS_MSG1_BYTES = 64,
  SHS_MSG2_BYTES = 64,
  SHS_MSG3_BYTES = 112,
  SHS_MSG4_BYTES = 80;

/** Bookkeeping shared by both roles: buffering, ordering, timeout, failure and zeroing. */
abstract class Handshake {
  protected readonly networkKey: Uint8Array;
  /** hmac[K](·), the hello authenticator, keyed once. */
  protected readonly auth: (message: Uint8Array) => Uint8Array;
  protected readonly identity: Ed25519KeyPair;
  protected readonly opts: CommonOptions;
  private readonly deadline: number;
  private buffer: Uint8Array = new Uint8Array(0);
  private queue: Promise<unknown> = Promise.resolve();
  protected dead: Failure<ShsErrorCode> | null = null;
  protected finished = false;
  /** Every secret byte array this handshake derives; zeroed when it ends. */
  protected readonly secrets: Uint8Array[] = [];
  protected crypto: ShsCrypto | null = null;
  protected eph: EphemeralKey | null = null;
  protected lt: LongTermKey | null = null;

  protected constructor(
    protected readonly side: Side,
    opts: CommonOptions,
  ) {
    const who = side === 'client' ? 'ShsClient' : 'ShsServer';
    if (typeof opts !== 'object' || opts === null) throw new TypeError(`${who}: opts must be an object`);
    assertBytes(`${who} opts.networkKey`, opts.networkKey, 32);
    if (typeof opts.identity !== 'object' || opts.identity === null)
      throw new TypeError(`${who} opts.identity must be an Ed25519KeyPair`);
    assertBytes(`${who} opts.identity.publicKey`, opts.identity.publicKey, 32);
    assertBytes(`${who} opts.identity.secretKey`, opts.identity.secretKey, 64);
    checkTime(`${who} opts.now`, opts.now);
    const timeout = opts.timeoutMs ?? 5000;
    if (typeof timeout !== 'number' || !(timeout > 0))
      throw new TypeError(`${who} opts.timeoutMs must be a positive number`);
    if (opts.ephemeralSecret !== undefined) assertBytes(`${who} opts.ephemeralSecret`, opts.ephemeralSecret, 32);
    if (
      opts.crypto !== undefined &&
      !isProvider(opts.crypto) &&
      !['auto', 'webcrypto', 'noble'].includes(opts.crypto as string)
    )
      throw new TypeError(
        `${who} opts.crypto must be 'auto', 'webcrypto', 'noble' or a ShsCrypto provider (ephemeral, longTerm, verify)`,
      );
    this.opts = opts;
    this.networkKey = opts.networkKey.slice();
    this.auth = authWith(this.networkKey);
    this.identity = opts.identity;
    this.deadline = opts.now + timeout;
  }

  /** Bytes the next expected message needs, or 0 when none is expected yet. */
  protected abstract expected(): number;
  /** The step a failure now would be reported at. */
  protected abstract step(): string;
  protected abstract handle(message: Uint8Array): Promise<Handled>;
  /** Why a close at this point is likely, for {@link closed}. */
  protected abstract closeCause(): string;

  /** Feeds received bytes, in arrival order (calls are serialized), with the current time. */
  receive(bytes: Uint8Array, now: number): Promise<ShsStep> {
    assertBytes('bytes', bytes);
    checkTime('now', now);
    return this.enqueue(() => this.process(bytes.slice(), now));
  }

  /** A timeout Failure once `now` has passed the deadline (and the handshake is still running), else null. */
  tick(now: number): ShsStep | null {
    checkTime('now', now);
    if (this.dead || this.finished || now < this.deadline) return null;
    return this.fail(
      'SHS_TIMEOUT',
      `no ${this.step()} before the timeout: the peer is slow, gone, or not speaking SHS`,
    );
  }

  /**
   * Tells the machine the transport closed. Returns the Failure describing the likely cause
   * (null if the handshake had already ended) and zeroes the secrets.
   */
  closed(): ShsStep | null {
    if (this.dead || this.finished) return null;
    return this.fail('SHS_CLOSED', `transport closed while waiting for ${this.step()}: ${this.closeCause()}`);
  }

  protected enqueue(task: () => Promise<ShsStep>): Promise<ShsStep> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async process(bytes: Uint8Array, now: number): Promise<ShsStep> {
    if (this.dead) return this.dead;
    if (this.finished)
      throw new Error(
        `${this.side === 'client' ? 'ShsClient' : 'ShsServer'}.receive: the handshake has finished; give further bytes to the frame layer`,
      );
    const late = this.tick(now);
    if (late) return late;
    this.buffer = this.buffer.length ? concatBytes(this.buffer, bytes) : bytes;
    const sends: Uint8Array[] = [];
    let session: ShsSession | undefined;
    for (let need = this.expected(); need > 0 && this.buffer.length >= need; need = this.expected()) {
      const message = this.buffer.subarray(0, need);
      this.buffer = this.buffer.subarray(need);
      const r = await this.handle(message);
      if (this.dead) return this.dead; // timed out or closed meanwhile
      if (!r.ok) return this.fail(r.code, r.message);
      if (r.send) sends.push(r.send);
      if (r.session) {
        session = r.session;
        break;
      }
    }
    const out: ShsStep = { ok: true };
    if (sends.length) out.send = sends.length === 1 ? sends[0]! : concatBytes(...sends);
    if (session) {
      this.finished = true;
      out.session = session;
      if (this.buffer.length) out.rest = this.buffer.slice();
      this.buffer = new Uint8Array(0);
      this.wipe();
    }
    return out;
  }

  protected fail(code: ShsErrorCode, message: string): Failure<ShsErrorCode> {
    this.dead = failure(code, this.side, this.step(), `shs ${this.side}, ${this.step()}: ${message}`);
    this.wipe();
    return this.dead;
  }

  /** Early exit from `handle` with a Failure (the caller of handle records and wipes). */
  protected reject(code: ShsErrorCode, message: string): Failure<ShsErrorCode> {
    return failure(code, this.side, this.step(), message);
  }

  protected keep(secret: Uint8Array): Uint8Array {
    if (this.dead) secret.fill(0); // already wiped: the work in flight is discarded
    this.secrets.push(secret);
    return secret;
  }

  /** The crypto path, selected once (the WebCrypto probe runs once per process). */
  protected async cryptoPath(): Promise<ShsCrypto> {
    const c = this.opts.crypto;
    this.crypto ??= isProvider(c) ? c : await selectShsCrypto(c ?? 'auto');
    return this.crypto;
  }

  /** Starts making this side's ephemeral key and loading its long-term key, in parallel. */
  protected keys(c: ShsCrypto): { eph: Promise<EphemeralKey>; lt: Promise<LongTermKey> } {
    const adopt = <T extends EphemeralKey | LongTermKey>(k: T, set: (k: T) => void): T => {
      set(k);
      if (this.dead) this.wipe(); // ended (timeout, close) while we waited
      return k;
    };
    return {
      eph: c.ephemeral(this.opts.ephemeralSecret).then((k) =>
        adopt(k, (x) => {
          this.eph = x;
        }),
      ),
      lt: c.longTerm(this.identity).then((k) =>
        adopt(k, (x) => {
          this.lt = x;
        }),
      ),
    };
  }

  /** Zeroes every secret this handshake holds; runs on success, failure, timeout and close. */
  private wipe(): void {
    for (const s of this.secrets) s.fill(0);
    this.secrets.length = 0;
    this.eph?.destroy();
    this.eph = null;
    this.lt?.destroy();
    this.lt = null;
  }

  /** Session keys (Protocol Guide, "Box stream": key = sha256(sha256(secret3) ‖ recipient)). */
  protected session(secret3: Uint8Array, remote: Uint8Array, remoteMac: Uint8Array, localMac: Uint8Array): ShsSession {
    const shared = sha256(secret3);
    return {
      remotePublicKey: remote.slice(),
      encryptKey: sha256Of(shared, remote),
      encryptNonce: remoteMac.slice(0, 24),
      decryptKey: sha256Of(shared, this.identity.publicKey),
      decryptNonce: localMac.slice(0, 24),
      handshakeSecret: shared,
    };
  }
}

function isProvider(c: unknown): c is ShsCrypto {
  if (typeof c !== 'object' || c === null) return false;
  const p = c as Record<string, unknown>;
  return typeof p.ephemeral === 'function' && typeof p.longTerm === 'function' && typeof p.verify === 'function';
}

function checkTime(name: string, t: unknown): void {
  if (typeof t !== 'number' || !Number.isFinite(t))
    throw new TypeError(`${name}: expected a finite number (ms), got ${String(t)}`);
}

export { Handshake, type CommonOptions, type Handled };

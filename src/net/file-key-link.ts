/**
 * File keys at the TransferLink boundary (docs/session.md §6, docs/files.md §9). Each side of a
 * link draws a fresh random 32-byte file key for its own direction and sends it inside the Double
 * Ratchet (`file-key`, sent by `LinkTraffic`). This adapter sits between the link and the
 * `TransferManager`: it AES-256-GCM-encrypts the `data` of every outgoing `transfer` message
 * under the own key and decrypts incoming ones under the peer's key, so someone who can stand in
 * the link (a stolen identity key makes SHS succeed) reads no file bytes — the ratchet's healing
 * now covers files as it covers chat.
 *
 * Nonce = 4 zero bytes ‖ u64 BE per-direction counter: the link is reliable and ordered, so both
 * sides count alike and no nonce is sent. AAD = label ‖ the sender's role (initiator 1,
 * responder 2), so a message reflected back at its sender is refused even if keys matched.
 * Outgoing transfer messages wait until the own key has gone out (bounded, counted in
 * `bufferedAmount`); incoming ones wait until the peer's key is installed (bounded: more closes
 * the link). A message that does not decrypt closes the link with `FILE_KEY_TAMPERED`.
 * @module
 */
import { randomBytes } from '@noble/hashes/utils.js';
import { FILE_KEY_BYTES, type WireMessage } from '../core/wire';
import { failure, type Failure } from '../core/errors';
import type { KxRole } from '../core/kx';
import { encodeTransfer } from '../core/transfer-codec';
import { ChunkOpener, ChunkSealer, type ChunkPlace, type OpenedChunk } from '../core/file-chunk';
import type { LinkCloseEvent } from './secure-link';
import type { ChunkArrival, TransferLink } from './transfer-types';
import { BufferedListeners, OnceListeners } from './listeners';

/** Why the adapter closed its link (docs/files.md §9). */
export type FileKeyErrorCode = 'FILE_KEY_TAMPERED' | 'FILE_KEY_QUEUE_FULL' | 'FILE_KEY_PROTOCOL';
/** Bytes the GCM tag adds to each transfer message. */
export const FILE_KEY_TAG_BYTES = 16;
/** Default bound of transfer bytes held in either direction while a file key is missing. */
export const DEFAULT_MAX_WAITING_BYTES = 4 * 1024 * 1024;
const LABEL = new TextEncoder().encode('parley/file-data/v1');

/** What `LinkTraffic` needs: the key to send, and where the peer's key goes (docs/session.md §6). */
export interface FileKeyChannel {
  /** This side's key for this link's outgoing direction (32 random bytes). */
  readonly ownKey: Uint8Array;
  /** The ratchet message carrying `ownKey` has been handed to the link: transfer messages may follow. */
  ownKeySent(): void;
  /** The peer's `file-key` arrived inside the ratchet. A second one on the same link is a protocol error. */
  installPeerKey(key: Uint8Array): void;
}

/**
 * The link below the adapter: a TransferLink that can be closed (a `SecureLink`), and that can
 * carry sealed chunks as their own frames (without them chunks go as `transfer` messages).
 */
export type FileKeyInner = Omit<TransferLink, 'sendChunk' | 'onChunk'> & {
  close(): Promise<void>;
  sendSealedChunk?(message: Uint8Array): Promise<void>;
  onSealedChunk?(cb: (message: Uint8Array) => void): () => void;
};

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a link that closes before its key is not an unhandled rejection
  return { promise, resolve, reject };
}

function nonce(counter: number): Uint8Array<ArrayBuffer> {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(counter));
  return n;
}

function aad(role: KxRole): Uint8Array<ArrayBuffer> {
  const a = new Uint8Array(LABEL.length + 1);
  a.set(LABEL);
  a[LABEL.length] = role === 'initiator' ? 1 : 2;
  return a;
}

function importKey(raw: Uint8Array, use: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', raw.slice(), { name: 'AES-GCM' }, false, [use]);
}

/** The adapter (docs/files.md §9): hand it to the TransferManager instead of the link. */
export class FileKeyLink implements TransferLink, FileKeyChannel {
  readonly ownKey = randomBytes(FILE_KEY_BYTES);
  /** Set when this adapter closed the link (tampering, overflow, protocol). */
  failure: Failure<FileKeyErrorCode> | null = null;
  readonly #inner: FileKeyInner;
  readonly #maxWaiting: number;
  readonly #ownAad: Uint8Array<ArrayBuffer>;
  readonly #peerAad: Uint8Array<ArrayBuffer>;
  readonly #own = deferred<CryptoKey>();
  readonly #peer = deferred<CryptoKey>();
  readonly #ownImport: Promise<CryptoKey>;
  readonly #sealer: Promise<ChunkSealer>;
  readonly #opener = deferred<ChunkOpener>();
  readonly #role: KxRole;
  readonly #chunks = new BufferedListeners<ChunkArrival>();
  #peerSet = false;
  #closed = false;
  #outCounter = 0;
  #inCounter = 0;
  #outWaiting = 0;
  #inWaiting = 0;
  #outChain: Promise<unknown> = Promise.resolve();
  #inChain: Promise<unknown> = Promise.resolve();
  readonly #messages = new BufferedListeners<WireMessage>();
  readonly #closing = new OnceListeners<LinkCloseEvent>();

  constructor(inner: FileKeyInner, role: KxRole, o: { maxWaitingBytes?: number } = {}) {
    this.#inner = inner;
    this.#maxWaiting = o.maxWaitingBytes ?? DEFAULT_MAX_WAITING_BYTES;
    const peerRole: KxRole = role === 'initiator' ? 'responder' : 'initiator';
    this.#ownAad = aad(role);
    this.#peerAad = aad(peerRole);
    this.#ownImport = importKey(this.ownKey, 'encrypt');
    this.#ownImport.catch(() => {});
    this.#role = role;
    this.#sealer = this.#own.promise.then(() => ChunkSealer.create(this.ownKey, role));
    this.#sealer.catch(() => {});
    inner.onMessage((m) => this.#receive(m));
    inner.onSealedChunk?.((m) => this.#receiveChunk(m));
    inner.onClose((e) => this.#finish(e));
  }

  ownKeySent(): void {
    this.#ownImport.then(
      (k) => this.#own.resolve(k),
      (e) => this.#own.reject(e),
    );
  }

  installPeerKey(key: Uint8Array): void {
    if (this.#peerSet) {
      this.#fail('FILE_KEY_PROTOCOL', 'the friend sent a second file key on one link');
      return;
    }
    this.#peerSet = true;
    importKey(key, 'decrypt').then(
      (k) => this.#peer.resolve(k),
      (e) => this.#peer.reject(e),
    );
    ChunkOpener.create(key, this.#role === 'initiator' ? 'responder' : 'initiator').then(
      (o) => this.#opener.resolve(o),
      (e) => this.#opener.reject(e),
    );
  }

  /** Waiting transfer bytes (before the key, or being encrypted) plus the link's own count. */
  get bufferedAmount(): number {
    return this.#closed ? 0 : this.#outWaiting + (this.#inner.bufferedAmount ?? 0);
  }

  /** Transfer messages are encrypted in order under the own key; other types pass unchanged. */
  send(m: WireMessage): Promise<void> {
    if (m.type !== 'transfer') return this.#inner.send(m);
    if (this.#closed) return Promise.reject(new Error('FileKeyLink.send: the link is closed'));
    const len = m.data.length;
    if (this.#outWaiting + len > this.#maxWaiting)
      return Promise.reject(new RangeError(`FileKeyLink.send: over ${this.#maxWaiting} bytes wait for the file key`));
    this.#outWaiting += len;
    const n = this.#outCounter++;
    // Encryption starts as soon as the key is there (WebCrypto runs several at once); the chain
    // only hands the results to the link in counter order.
    const sealed = this.#own.promise.then((key) =>
      crypto.subtle.encrypt(
        { name: 'AES-GCM', iv: nonce(n), additionalData: this.#ownAad },
        key,
        m.data as Uint8Array<ArrayBuffer>,
      ),
    );
    return this.#hand(sealed, len, (b) => this.#inner.send({ type: 'transfer', data: new Uint8Array(b) }));
  }

  /**
   * One file chunk, sealed once under the own file key and bound to its place (docs/files.md
   * §10). In order with `send()`. Over a link without sealed-chunk frames, the chunk goes as a
   * `transfer` message through `send()` instead (encrypted the same way as other transfer messages).
   */
  sendChunk(place: ChunkPlace, bytes: Uint8Array): Promise<void> {
    const inner = this.#inner;
    if (!inner.sendSealedChunk)
      return this.send({ type: 'transfer', data: encodeTransfer({ type: 'chunk', ...place, bytes }) });
    if (this.#closed) return Promise.reject(new Error('FileKeyLink.sendChunk: the link is closed'));
    const len = bytes.length;
    if (this.#outWaiting + len > this.#maxWaiting)
      return Promise.reject(
        new RangeError(`FileKeyLink.sendChunk: over ${this.#maxWaiting} bytes wait for the file key`),
      );
    this.#outWaiting += len;
    const sealed = this.#sealer.then(async (s) => ({ s, m: await s.seal(place, bytes) }));
    return this.#hand(sealed, len, ({ s, m }) => {
      const sent = inner.sendSealedChunk!(m);
      // Settled = handed to the data channel, which copied it, or dropped: the buffer is free.
      const release = () => s.release(m);
      sent.then(release, release);
      return sent;
    });
  }

  /**
   * Hands `sealed` to the link after everything handed before it. Waits for encryption, not for
   * the link's send to settle (a box keeps `then` from waiting for that promise).
   */
  #hand<T>(sealed: Promise<T>, len: number, pass: (x: T) => Promise<void>): Promise<void> {
    sealed.catch(() => {});
    const handed = this.#outChain.then(async () => {
      try {
        const x = await sealed;
        if (this.#closed) throw new Error('FileKeyLink.send: the link is closed');
        return { sent: pass(x) };
      } finally {
        this.#outWaiting -= len;
      }
    });
    this.#outChain = handed.catch(() => {});
    return handed.then((b) => b.sent);
  }

  /** Opened chunks and refusals, in arrival order; those before the first listener go to it. */
  onChunk(cb: (c: ChunkArrival) => void): () => void {
    return this.#chunks.add(cb);
  }

  /** Decrypted transfer messages, in order; those before the first listener go to it (like `SecureLink`). */
  onMessage(cb: (m: WireMessage) => void): () => void {
    return this.#messages.add(cb);
  }

  /** Once: the link's own close event, or this adapter's failure when it closed the link. */
  onClose(cb: (e: LinkCloseEvent) => void): () => void {
    return this.#closing.add(cb);
  }

  onDrain(cb: () => void): () => void {
    return this.#inner.onDrain?.(cb) ?? (() => {});
  }

  #receive(m: WireMessage): void {
    if (m.type !== 'transfer' || this.#closed) return;
    const len = m.data.length;
    if (!this.#admit(len)) return;
    const n = this.#inCounter++;
    // Decryption starts once the peer's key is in, in parallel; delivery keeps the order.
    const opened = this.#peer.promise.then((key) =>
      crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce(n), additionalData: this.#peerAad },
        key,
        m.data as Uint8Array<ArrayBuffer>,
      ),
    );
    opened.catch(() => {});
    this.#inChain = this.#inChain
      .then(async () => {
        let plain: ArrayBuffer;
        try {
          plain = await opened;
        } catch {
          // (After a close the key promise rejects too; #fail ignores a closed link.)
          this.#fail(
            'FILE_KEY_TAMPERED',
            'file data on this link did not decrypt: it was altered, replayed or reordered',
          );
          return;
        }
        this.#inWaiting -= len;
        if (this.#closed) return;
        const out: WireMessage = { type: 'transfer', data: new Uint8Array(plain) };
        this.#messages.emit(out);
      })
      .catch(() => {}); // a listener that throws must not stop later deliveries
  }

  /** Counts `len` incoming bytes as waiting; false (and the link closed) past the bound before the peer's key. */
  #admit(len: number): boolean {
    // Only while the peer's key is missing do bytes pile up here; after that decryption keeps up.
    if (!this.#peerSet && this.#inWaiting + len > this.#maxWaiting) {
      this.#fail(
        'FILE_KEY_QUEUE_FULL',
        `over ${this.#maxWaiting} bytes of file data arrived before the friend's file key`,
      );
      return false;
    }
    this.#inWaiting += len;
    return true;
  }

  /** A sealed chunk frame: opened under the peer's key once it is in; delivered in arrival order. */
  #receiveChunk(message: Uint8Array): void {
    if (this.#closed) return;
    const len = message.length;
    if (!this.#admit(len)) return;
    const opened = this.#opener.promise.then((o) => o.open(message));
    opened.catch(() => {});
    this.#inChain = this.#inChain
      .then(async () => {
        let r: Awaited<typeof opened>;
        try {
          r = await opened;
        } catch {
          return; // the link closed before the peer's key came
        } finally {
          this.#inWaiting -= len;
        }
        if (this.#closed) return;
        const out: ChunkArrival = r.ok ? { ok: true, chunk: r.chunk satisfies OpenedChunk } : r;
        this.#chunks.emit(out);
      })
      .catch(() => {});
  }

  #fail(code: FileKeyErrorCode, message: string): void {
    if (this.#closed) return;
    this.failure = failure(code, 'receiver', 'file-key', message);
    this.#finish({ clean: false, failure: this.failure });
    void this.#inner.close().catch(() => {});
  }

  #finish(e: LinkCloseEvent): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#messages.dropEarly();
    this.#chunks.dropEarly();
    void this.#sealer.then(
      (x) => x.destroy(),
      () => {},
    );
    void this.#opener.promise.then(
      (x) => x.destroy(),
      () => {},
    );
    const gone = new Error('FileKeyLink: the link closed');
    this.#own.reject(gone);
    this.#peer.reject(gone);
    this.#opener.reject(gone);
    this.#closing.fire(e);
  }
}

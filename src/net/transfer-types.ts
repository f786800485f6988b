/**
 * The contracts around `TransferManager` (docs/files.md "Glue"; docs/interfaces.md): what it
 * needs from a link, how it persists, and what it tells the UI.
 * @module
 */
import type { WireMessage } from '../core/wire';
import type {
  CancelReason,
  DeclineReason,
  Progress,
  ReceiverState,
  SenderState,
  TransferFailure,
  TransferOptions,
  TransferStatus,
} from '../core/transfer';
import type { ChunkPlace, ChunkRefusal, OpenedChunk } from '../core/file-chunk';
import type { FileStore } from './file-store';

/** A sealed chunk as the link hands it over: opened, or refused (the transfer fetches it again). */
export type ChunkArrival = { ok: true; chunk: OpenedChunk } | ChunkRefusal;

/**
 * What the manager needs from a `SecureLink` (src/net/secure-link.ts). `bufferedAmount` and
 * `onDrain` are the backpressure additions; without them the manager counts only the bytes it
 * handed to `send()` that have not been handed on yet (the link's own queue).
 */
export interface TransferLink {
  send(m: WireMessage): Promise<void>;
  onMessage(cb: (m: WireMessage) => void): () => void;
  onClose(cb: (e: { clean: boolean }) => void): () => void;
  /** Bytes accepted by `send()` and not yet on the wire: the link's queue plus the data channel's `bufferedAmount`. */
  readonly bufferedAmount?: number;
  /** Calls `cb` each time `bufferedAmount` falls to the link's low-water mark (`bufferedamountlow`). */
  onDrain?(cb: () => void): () => void;
  /**
   * Sends one file chunk sealed once under the file key (docs/files.md §10). Without it the
   * manager sends chunks as `transfer` messages through `send()`.
   */
  sendChunk?(place: ChunkPlace, bytes: Uint8Array): Promise<void>;
  /** Chunks that arrived through `sendChunk` at the other end: opened, or refused. */
  onChunk?(cb: (c: ChunkArrival) => void): () => void;
}

/** What the peer on a link announced that changes how transfers run (docs/files.md §14). */
export interface LinkPeer {
  /**
   * The peer's sender takes the window this side's receivers advertise as its own (it announced
   * `file-ack-window`): they may hold their acks until a quarter of it is unacknowledged.
   */
  readonly takesWindow?: boolean;
}

/** A file as shown in the UI. */
export interface TransferFileInfo {
  name: string;
  type: string;
  size: number;
}

/** One transfer as persisted (the app backs {@link TransferPersistence} with IndexedDB). */
export interface TransferRecord {
  /** Transfer id, 32 hex characters. */
  id: string;
  /** Whose link this transfer belongs to (the app's contact id). */
  contact: string;
  direction: 'in' | 'out';
  createdAt: number;
  files: TransferFileInfo[];
  state: SenderState | ReceiverState;
  /**
   * Outgoing only: the files being sent. Present on the first save of an outgoing transfer
   * (store it once, e.g. in its own object store — Blobs survive in IndexedDB) and must be
   * returned by `load` so a reload can resume. Later saves leave it out; an empty array deletes
   * the stored files (the transfer ended: nothing will be read again, docs/files.md "Finished files").
   */
  blobs?: Blob[];
  /** Incoming only: the files the person saved (clicked Save on), ascending. */
  saved?: number[];
  /** Incoming only: the received data was removed from private storage after every file was saved. */
  purged?: boolean;
}

/** Where transfer state survives a reload (docs/files.md "Glue"). Calls for one id are never concurrent. */
export interface TransferPersistence {
  save(r: TransferRecord): Promise<void>;
  remove(id: string): Promise<void>;
  /** Every record of a contact (with `blobs` for outgoing ones). */
  load(contact: string): Promise<TransferRecord[]>;
}

/** What the UI hears (all carry the transfer id). `file-complete` (in) means the file is verified and readable with `getFile`. */
export type TransferManagerEvent =
  | { type: 'offered'; id: string; direction: 'in' | 'out'; files: TransferFileInfo[] }
  | { type: 'accepted'; id: string; files: number[] }
  | { type: 'declined'; id: string; reason: DeclineReason }
  | { type: 'progress'; id: string; direction: 'in' | 'out'; progress: Progress }
  | { type: 'refetch'; id: string; file: number; index: number }
  | { type: 'file-complete'; id: string; file: number }
  | { type: 'complete'; id: string; direction: 'in' | 'out' }
  | { type: 'cancelled'; id: string; by: 'local' | 'peer'; reason: CancelReason }
  | { type: 'failed'; id: string; failure: TransferFailure }
  // in: an offer declined unseen by a limit (docs/files.md "Offer flood"); it is neither stored nor listed
  | {
      type: 'refused';
      id: string;
      reason: DeclineReason;
      bound: 'size' | 'unanswered' | 'rate' | 'records';
      files: number;
    }
  // in: an ended transfer dropped to make room for a new offer (docs/files.md "Offer flood")
  | { type: 'forgotten'; id: string };

/** A transfer as listed for the UI. */
export interface TransferSummary {
  id: string;
  direction: 'in' | 'out';
  files: TransferFileInfo[];
  status: TransferStatus;
  done: number;
  total: number;
  createdAt: number;
  /** The files the receiver accepted (ascending), `null` until it answered; progress counts only these. */
  accepted: number[] | null;
  /** Incoming: the files the person saved, ascending (see `TransferManager.markSaved`). */
  saved: number[];
  /** Incoming: saved and then removed from private storage (no download link any more). */
  purged: boolean;
}

/** Options of `TransferManager.open` (docs/files.md "Glue" for the defaults and why). */
export interface TransferManagerOptions {
  contact: string;
  store: FileStore;
  persistence: TransferPersistence;
  now?: () => number;
  random?: (n: number) => Uint8Array;
  /** Chunk size for new offers (multiple of 64); default {@link DEFAULT_GLUE_CHUNK_SIZE}. */
  chunkSize?: number;
  /** Most transfer bytes queued in the link before chunks wait; default {@link DEFAULT_HIGH_WATER}. */
  highWaterBytes?: number;
  /** The receiver saves its state after this many newly verified bytes (and on every status change). */
  saveEveryBytes?: number;
  /** Incoming offers larger than this (all files) are declined `too-large`; default 64 GiB. */
  maxIncomingBytes?: number;
  /** Period of the stall clock (`tick`); 0 = call `tick()` yourself (tests). Default 1000. */
  tickMs?: number;
  /** Core tuning (window, retries, stall period, progress interval). */
  transfer?: TransferOptions;
}

/** 128 KiB − 128 B: a chunk message plus wire envelope fills 128 KiB (docs/files.md "Glue"). */
export const DEFAULT_GLUE_CHUNK_SIZE = 261120;
/**
 * Transfer bytes allowed in the link's queue + data channel buffer (docs/files.md "Glue", §15):
 * twice the channel's drain threshold (`DRAIN_THRESHOLD`, net/peer.ts), so that the channel's
 * `bufferedamountlow` event, not a poll, says when a chunk fits again.
 */
export const DEFAULT_HIGH_WATER = 1024 * 1024;
/** Receiver state is saved at least every this many verified bytes. */
export const DEFAULT_SAVE_EVERY_BYTES = 8 * 1024 * 1024;
/**
 * The media type of every received file handed out (`getFile`, the download link), whatever the
 * offer said (docs/files.md "Finished files"): opened from its blob URL, a peer's `text/html` or
 * `image/svg+xml` would run in Parley's origin.
 */
export const DOWNLOAD_TYPE = 'application/octet-stream';
/** Largest incoming offer accepted for the user to decide on (sum of file sizes). */
export const DEFAULT_MAX_INCOMING_BYTES = 64 * 1024 ** 3;

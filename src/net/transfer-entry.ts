/**
 * One transfer as the `TransferManager` holds it, its events for the UI, and its persistence (docs/files.md §8,
 * "OPFS layout, durability and cleanup"): the record saved for it, when to save (status changes
 * and every `saveEveryBytes` of receiver progress; snapshot, then flush, then save, so a saved
 * verified prefix is always on disk), and how a saved record becomes a live entry again (files cut
 * back to the saved verified prefix). Split out of `transfers.ts`; no behaviour of its own.
 * @module
 */
import {
  rangeBytes,
  TransferReceiver,
  TransferSender,
  transferTypeCode,
  type ReceiverIo,
  type ReceiverState,
  type SenderIo,
  type SenderState,
  type TransferResult,
} from '../core/transfer';
import { platformChunkDigest } from '../core/file-digest';
import { blobReader, type FileSink, type FileStore } from './file-store';
import { incomingFileInfo } from './transfer-names';
import type { TransferFileInfo, TransferManagerEvent, TransferPersistence, TransferRecord } from './transfer-types';

/** A transfer of the manager: its state machine, open files and persistence bookkeeping. */
export interface Entry {
  id: string;
  direction: 'in' | 'out';
  files: TransferFileInfo[];
  createdAt: number;
  sender?: TransferSender;
  receiver?: TransferReceiver;
  sinks: Map<number, FileSink>;
  savedBytes: number;
  savedStatus: string;
  /** The files the receiver accepted, ascending; unset until the offer is answered. */
  accepted?: number[];
  /** Per-transfer queue: event handling, sink closing and saves stay in order. */
  chain: Promise<void>;
  /** Incoming: files the person saved; `purged` once their data left private storage. */
  saved: Set<number>;
  purged: boolean;
  /** Incoming: files verified and closed (readable with `getFile`). */
  verified: Set<number>;
  /** Outgoing: the stored copies of the files are gone (or were never loaded: the transfer had ended). */
  blobsDropped: boolean;
  /**
   * Incoming: the receiver's `complete`, held until its finished state is saved. Told too early,
   * the sender drops its copies; a reload before the save would then resume a transfer that no
   * side can finish (review 2026-12-03).
   */
  heldComplete?: Uint8Array;
}

/** Nothing more will be read or written for a transfer in this status. */
export const isEnded = (status: string): boolean =>
  status === 'done' || status === 'cancelled' || status === 'failed' || status === 'declined';

/**
 * An incoming transfer that is complete and whose every received file the person saved: its data
 * may leave private storage. Not at once: a browser reads a download's blob lazily and reports no
 * end, so the manager does it when it next opens (docs/files.md "Finished files").
 */
export function readyToPurge(e: Entry): boolean {
  return !!e.receiver && e.receiver.status === 'done' && !e.purged && (e.accepted ?? []).every((f) => e.saved.has(f));
}

/**
 * Hands a state machine's result to the UI as manager events; on `file-complete` first flushes
 * and closes that file (it is final and may be downloaded now).
 */
export async function deliver(e: Entry, r: TransferResult, emit: (ev: TransferManagerEvent) => void): Promise<void> {
  for (const ev of r.events) {
    if (ev.type === 'progress') emit({ type: 'progress', id: e.id, direction: e.direction, progress: ev.progress });
    else if (ev.type === 'accepted') {
      e.accepted = [...ev.files];
      emit({ ...ev, id: e.id });
    } else if (ev.type === 'complete') emit({ type: 'complete', id: e.id, direction: e.direction });
    else if (ev.type === 'file-complete') {
      await e.sinks.get(ev.file)?.flush();
      await e.sinks.get(ev.file)?.close();
      e.sinks.delete(ev.file);
      e.verified.add(ev.file);
      emit({ type: 'file-complete', id: e.id, file: ev.file });
    } else emit({ ...ev, id: e.id });
  }
  if (!r.ok && r.fatal) {
    const { events: _events, ...failure } = r;
    emit({ type: 'failed', id: e.id, failure });
  }
}

/** A new entry with nothing saved yet. */
export function newEntry(id: string, direction: 'in' | 'out', files: TransferFileInfo[], createdAt: number): Entry {
  return {
    id,
    direction,
    files,
    createdAt,
    sinks: new Map(),
    savedBytes: 0,
    savedStatus: '',
    chain: Promise.resolve(),
    saved: new Set(),
    purged: false,
    verified: new Set(),
    blobsDropped: false,
  };
}

/** The record to persist for `e` (its state machine's JSON snapshot, taken now). */
export function recordOf(e: Entry, contact: string): TransferRecord {
  const r: TransferRecord = {
    id: e.id,
    contact,
    direction: e.direction,
    createdAt: e.createdAt,
    files: e.files,
    state: (e.sender ?? e.receiver!).toJSON(),
  };
  if (e.saved.size) r.saved = [...e.saved].sort((a, b) => a - b);
  if (e.purged) r.purged = true;
  return r;
}

/** Type byte of the receiver's `complete`, which waits for the finished state to be saved. */
const COMPLETE = transferTypeCode('complete');

/**
 * The receiver's I/O over an entry: chunks written to its open files and each one's SHA-256
 * taken where it was written (OPFS: the worker, off the page's thread), messages out —
 * except `complete`, held in `e.heldComplete` until the finished state is saved (the manager's
 * `#handle` sends it then; see {@link Entry.heldComplete}).
 */
export function receiverIo(
  e: Entry,
  o: Pick<ReceiverIo, 'send' | 'now' | 'holdAcks'> & { closed: () => boolean },
): ReceiverIo {
  const sink = (f: number) => {
    if (o.closed()) throw new Error('the transfer manager was closed');
    const s = e.sinks.get(f);
    if (!s) throw new Error(`no open file for file ${f}`);
    return s;
  };
  // Cancelled (and its data deleted) meanwhile: write nothing.
  const live = () => e.receiver?.status === 'active';
  return {
    writeChunk: async (f, offset, bytes) => {
      if (live()) await sink(f).write(offset, bytes);
    },
    // Hashed where the bytes are written when the store can (OPFS: its worker, docs/files.md §14).
    writeChunkDigest: async (f, offset, bytes) => {
      const s = live() ? sink(f) : null;
      if (s?.writeDigest) return s.writeDigest(offset, bytes);
      const sha = platformChunkDigest(bytes); // before the write may take `bytes`
      sha.catch(() => undefined);
      if (s) await s.write(offset, bytes);
      return sha;
    },
    send: (b) => {
      if (b[1] === COMPLETE && e.savedStatus !== 'done') {
        e.heldComplete = b;
        return;
      }
      o.send(b);
    },
    now: o.now,
    holdAcks: o.holdAcks,
  };
}

/** Saves the entry now, as {@link maybeSave} does: snapshot (or `record`), flush the open files, save. */
export async function saveNow(
  e: Entry,
  o: { contact: string; persistence: TransferPersistence },
  record = recordOf(e, o.contact),
): Promise<void> {
  for (const s of e.sinks.values()) await s.flush();
  await o.persistence.save(record);
}

/** Saves on status changes and every `saveEveryBytes` of progress (either side); snapshot, then flush, then save. */
export async function maybeSave(
  e: Entry,
  o: { contact: string; saveEveryBytes: number; store: FileStore; persistence: TransferPersistence },
): Promise<void> {
  const m = e.sender ?? e.receiver!;
  const done = m.progress().done,
    status = m.status;
  // The sender too: its saved running hash (docs/files.md §11) spares a resumed sender re-reading.
  if (status === e.savedStatus && done - e.savedBytes < o.saveEveryBytes) return;
  const record = recordOf(e, o.contact);
  for (const s of e.sinks.values()) await s.flush();
  if (isEnded(status) && status !== 'done' && e.receiver) {
    for (const s of e.sinks.values()) await s.close().catch(() => undefined);
    e.sinks.clear();
    await o.store.remove(e.id); // nothing to keep from a transfer that will not finish
  }
  // An outgoing transfer that ended needs its stored copies of the files no more (a 2 GiB file
  // was a 2 GiB copy in the browser profile until dismissed).
  const dropBlobs = isEnded(status) && !!e.sender && !e.blobsDropped;
  await o.persistence.save(dropBlobs ? { ...record, blobs: [] } : record);
  if (dropBlobs) e.blobsDropped = true;
  // What was saved is the snapshot: the machine may have moved on during the awaits (a slow
  // database), and the next call must then save again. Taking `m.status` here instead once left
  // a finished receiver saved as "active" for good (found 2026-12-03, transfers-cleanup.test.ts).
  e.savedBytes = done;
  e.savedStatus = status;
}

/** A file of a state saved before docs/files.md §11 (protocol v1): the offer carried hashes. */
interface V1File {
  name: string;
  type: string;
  size: number;
  chunkSize: number;
  sha256: string;
}
/** A per-file progress entry of a v1 receiver state. */
interface V1Progress {
  verified: number;
  mid: { h: number[]; length: number } | null;
  done: boolean;
}

/**
 * A state saved by an older build as the `v: 3` state this build restores; others are returned as
 * they are. `v: 1` (before docs/files.md §11: content hashes in the offer, a per-chunk hash list)
 * and `v: 2` (§11: the whole-file SHA-256 of the bytes) hashed files another way than the file
 * digest of §12, so no running hash of theirs goes on: the sender starts its file digests over
 * (it reads each file's prefix once more to hash it), and the receiver starts each unfinished file
 * from its first chunk (its saved prefix is cut off when it is reopened). Finished files stay
 * finished. Without this, one old record (even a finished one, kept as the chat's record) kept
 * the contact's transfers from opening.
 */
export function upgradeState(state: SenderState | ReceiverState): SenderState | ReceiverState {
  const old = state as unknown as { v: number; role: string; files: V1File[]; progress?: (V1Progress | null)[] };
  if (old.v !== 1 && old.v !== 2) return state;
  const files = old.files.map(({ name, type, size, chunkSize }) => ({ name, type, size, chunkSize }));
  if (old.role === 'sender')
    return {
      ...(state as SenderState),
      v: 3,
      files,
      hashing: files.map(() => ({ hashed: 0, state: null, digest: null })),
    };
  const progress = (old.progress ?? []).map(
    (p) => p && { verified: p.done ? p.verified : 0, mid: null, expected: null, written: null, done: p.done },
  );
  return { ...(state as ReceiverState), v: 3, files, progress };
}

/**
 * A saved record as a live entry: the sender over its saved Blobs, or the receiver with its
 * unfinished files reopened and cut to the saved verified prefix. `receiverIo(e)` builds the
 * receiver's I/O over the entry (its sinks).
 */
export async function restoreEntry(
  r: TransferRecord,
  o: {
    store: FileStore;
    senderIo: (read: ReturnType<typeof blobReader>) => SenderIo;
    receiverIo: (e: Entry) => ReceiverIo;
  },
): Promise<Entry> {
  r = { ...r, state: upgradeState(r.state) };
  // Records saved before names were cleaned on arrival are cleaned here (docs/security.md "Spoofed names").
  const e = newEntry(r.id, r.direction, r.direction === 'in' ? r.files.map(incomingFileInfo) : r.files, r.createdAt);
  e.savedStatus = r.state.status;
  if (r.state.accepted.length > 0) e.accepted = [...r.state.accepted]; // empty: never accepted (offered or declined)
  if (r.saved) e.saved = new Set(r.saved);
  e.purged = r.purged === true;
  if (r.direction === 'out') {
    const over = isEnded(r.state.status);
    if (!r.blobs && !over) throw new Error(`restore: outgoing transfer ${r.id} was loaded without its blobs`);
    // An ended transfer never reads again; its files may already be gone from storage.
    e.blobsDropped = !r.blobs;
    e.sender = TransferSender.restore(r.state as SenderState, o.senderIo(blobReader(r.blobs ?? [])));
    return e;
  }
  const s = r.state as ReceiverState;
  e.receiver = TransferReceiver.restore(s, o.receiverIo(e));
  e.savedBytes = e.receiver.progress().done;
  for (const f of s.accepted) if (s.progress[f]?.done) e.verified.add(f);
  if (s.status !== 'active') return e;
  for (const f of s.accepted) {
    const p = s.progress[f];
    if (!p || p.done) continue;
    const sink = await o.store.open(r.id, f);
    // Bytes past the saved verified prefix were never acknowledged as durable: cut them off.
    await sink.truncate(rangeBytes(e.receiver.files[f]!, 0, p.verified));
    e.sinks.set(f, sink);
  }
  return e;
}

/**
 * At a manager's start (docs/files.md "Finished files"): an ended outgoing transfer drops its
 * stored files (also for records saved before they were dropped at the end), and a complete
 * incoming one whose every file was saved has its data removed from private storage; the record
 * stays, as the chat's record of the transfer, until dismissed. A failure is logged and retried at
 * the next start: tidying must never keep transfers from opening.
 */
export async function tidyOnOpen(
  entries: Iterable<Entry>,
  o: { contact: string; store: FileStore; persistence: TransferPersistence },
): Promise<void> {
  for (const e of entries) {
    try {
      if (e.sender && isEnded(e.sender.status) && !e.blobsDropped) {
        await o.persistence.save({ ...recordOf(e, o.contact), blobs: [] });
        e.blobsDropped = true;
      }
      if (readyToPurge(e)) {
        await o.store.remove(e.id);
        e.purged = true;
        await o.persistence.save(recordOf(e, o.contact));
      }
    } catch (err) {
      console.warn(`transfer ${e.id}: could not tidy its stored data, trying again at the next start:`, err);
    }
  }
}

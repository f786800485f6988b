/**
 * Offers, both ways, for the `TransferManager` (docs/files.md §8): preparing the files of an
 * outgoing offer (one read of each, hashing every chunk and the whole file, with progress for the
 * UI), and the limits that decline an incoming offer unseen ("Offer flood", "Offer size").
 * Split out of `transfers.ts`; no behaviour of its own.
 * @module
 */
import {
  chooseChunkSize,
  chunkCount,
  prepareFile,
  type DeclineReason,
  type FileOffer,
  type PreparedFile,
} from '../core/transfer';
import { createFastSha256 } from './fast-sha256';
import { blobReader } from './file-store';
import { safeName, safeType } from './transfer-names';
import type { TransferFileInfo } from './transfer-types';

/** A file to send: a browser `File`, or any Blob with a name. */
export type OutgoingFile = Blob & { name: string };

/** Incoming offers the user has not answered yet; more are declined as `busy`. */
export const MAX_UNANSWERED_OFFERS = 32;

/**
 * Most chunks in one incoming offer (all files): the receiver holds 32 bytes of hash list per
 * chunk in memory and 64 in each state save, so 2^20 chunks cost 32 / 64 MiB. 64 GiB at 64 KiB
 * chunks; a sender choosing tiny chunks cannot make it more (review-2026-11 I5).
 */
export const MAX_INCOMING_CHUNKS = 2 ** 20;

/** Why an incoming offer is declined before anyone sees it, or null to show it. */
export function refusal(
  files: readonly FileOffer[],
  unanswered: number,
  maxIncomingBytes: number,
): DeclineReason | null {
  const bytes = files.reduce((n, f) => n + f.size, 0),
    chunks = files.reduce((n, f) => n + chunkCount(f.size, f.chunkSize), 0);
  if (bytes > maxIncomingBytes || chunks > MAX_INCOMING_CHUNKS) return 'too-large';
  // A peer flooding offers gets "busy" instead of filling the UI and the database.
  return unanswered >= MAX_UNANSWERED_OFFERS ? 'busy' : null;
}

/**
 * Reads and hashes the files of an outgoing offer (docs/files.md §3, "Sender preparation"); the
 * whole-file hash is WebAssembly where the page allows it (fast-sha256.ts).
 * `progress(infos, done, total)` is called at most every 250 ms of `now()`: hashing a large file
 * takes a while. Returns the prepared files and the reader the sender goes on using.
 */
export async function prepareOutgoing(
  blobs: readonly OutgoingFile[],
  o: {
    chunkSize: number;
    now: () => number;
    progress: (files: TransferFileInfo[], done: number, total: number) => void;
  },
): Promise<{ prepared: PreparedFile[]; read: ReturnType<typeof blobReader> }> {
  const read = blobReader(blobs);
  const infos = blobs.map((f) => ({ name: safeName(f.name), type: safeType(f.type), size: f.size }));
  const total = infos.reduce((n, f) => n + f.size, 0);
  let done = 0,
    last = -Infinity;
  const counted: typeof read = async (i, start, end) => {
    const b = await read(i, start, end);
    done += b.length;
    if (o.now() - last >= 250) {
      last = o.now();
      o.progress(infos, done, total);
    }
    return b;
  };
  const prepared: PreparedFile[] = [];
  for (const [i, f] of infos.entries())
    prepared.push(
      await prepareFile({
        fileIndex: i,
        ...f,
        chunkSize: chooseChunkSize(f.size, o.chunkSize),
        readSlice: counted,
        whole: await createFastSha256(),
      }),
    );
  return { prepared, read };
}

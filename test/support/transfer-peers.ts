/** Test peers for TransferManager tests: a manager over an in-memory store and database, and links between them. */
import { MemoryFileStore } from '../../src/net/file-store';
import { decodeTransfer, type TransferMessage } from '../../src/core/transfer';
import type { WireMessage } from '../../src/core/wire';
import {
  TransferManager,
  type LinkPeer,
  type TransferManagerEvent,
  type TransferManagerOptions,
} from '../../src/net/transfers';
import { linkPair, type MemoryLink, type PairOptions } from '../net/memory-link';
import { MemoryPersistence } from './transfer-manager';

export interface Peer {
  m: TransferManager;
  store: MemoryFileStore;
  db: MemoryPersistence;
  events: TransferManagerEvent[];
  o: Partial<TransferManagerOptions>;
}

export async function peer(
  contact: string,
  o: Partial<TransferManagerOptions> = {},
  store = new MemoryFileStore(),
  db = new MemoryPersistence(),
): Promise<Peer> {
  const m = await TransferManager.open({
    contact,
    store,
    persistence: db,
    tickMs: 0,
    transfer: { progressIntervalMs: 0 },
    ...o,
  });
  const events: TransferManagerEvent[] = [];
  m.on((e) => events.push(e));
  return { m, store, db, events, o };
}
/** The same peer after a page reload: a new manager over the same disk and database. */
export async function reload(p: Peer, contact: string): Promise<Peer> {
  await p.m.close();
  return peer(contact, p.o, p.store, p.db);
}

export function waitFor(
  p: Peer,
  pred: (e: TransferManagerEvent) => boolean,
  what: string,
): Promise<TransferManagerEvent> {
  const hit = p.events.find(pred);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}; events: ${p.events.map((e) => e.type).join(',')}`)),
      25_000,
    );
    const off = p.m.on((e) => {
      if (pred(e)) {
        clearTimeout(t);
        off();
        resolve(e);
      }
    });
  });
}
export const fileOf = (bytes: Uint8Array, name: string) =>
  new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/octet-stream' });
export const transferOf = (m: WireMessage): TransferMessage | null => {
  if (m.type !== 'transfer') return null;
  const d = decodeTransfer(m.data, 'receiver');
  return d.ok ? d.message : null;
};
/** Chunk messages the receiving end (b) got, as "file:index". */
export const chunksAt = (link: MemoryLink) =>
  link.received
    .map(transferOf)
    .filter((t) => t?.type === 'chunk')
    .map((t) => `${(t as { file: number }).file}:${(t as { index: number }).index}`);

/** Links `a` and `b`; `peer`: what each side is told its peer announced (docs/files.md §13). */
export async function connect(
  a: Peer,
  b: Peer,
  o: PairOptions = {},
  peer: LinkPeer = {},
): Promise<[MemoryLink, MemoryLink]> {
  const [la, lb] = linkPair(o);
  a.m.attach(la, peer);
  b.m.attach(lb, peer);
  return [la, lb];
}

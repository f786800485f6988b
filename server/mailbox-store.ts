/**
 * Mailbox storage (docs/relay.md "Mailbox"): the interface both backends implement, and the
 * in-memory backend used without REDIS_URL. Per address at most `maxBlobs` blobs, each kept
 * `ttlMs` after its put and deleted earlier once acknowledged; in all at most `maxTotalBytes`
 * (counted in size-class bytes). Blob ids are a per-address sequence, so a fetcher can page with
 * `after` and blobs come back in the order they were put.
 */
import type { StoredBlob } from './protocol-mailbox';

export type PutResult = { ok: true; id: string } | { ok: false; code: 'mailbox-full' | 'mailbox-storage-full' };
export interface FetchResult {
  blobs: StoredBlob[];
  /** More blobs after the last one returned (the answer hit its byte budget). */
  more: boolean;
}
export interface MailboxStats {
  /** Deployment-wide (all instances share it with Redis). */
  blobs: number;
  bytes: number;
}

export interface MailboxLimits {
  maxBlobs: number;
  ttlMs: number;
  maxTotalBytes: number;
}

/** Both backends. Every method may reject (Redis down): the caller answers `mailbox-unavailable`. */
export interface MailboxStore {
  /** Stores `data` (base64url of a blob of `size` bytes, a size class) at `address`. */
  put(address: string, data: string, size: number): Promise<PutResult>;
  /** Blobs with an id above `after` (all when null), in put order, up to about `maxChars` of data. */
  fetch(address: string, after: string | null, maxChars: number): Promise<FetchResult>;
  /** Deletes the named blobs; resolves with how many existed. Unknown ids are ignored. */
  ack(address: string, ids: string[]): Promise<number>;
  stats(): Promise<MailboxStats>;
  close(): Promise<void>;
}

interface Entry {
  /** Last id handed out at this address. */
  seq: number;
  /** When the address may be forgotten once empty (its ids must not restart while a fetcher may page). */
  keepUntil: number;
  /** id → blob, in put order (Map keeps insertion order). */
  blobs: Map<number, { data: string; size: number; expiresAt: number }>;
}

/** The in-memory backend: one process, lost on restart. `now` is injectable for TTL tests. */
export class MemoryMailbox implements MailboxStore {
  readonly #addresses = new Map<string, Entry>();
  #blobs = 0;
  #bytes = 0;
  readonly #sweep: ReturnType<typeof setInterval>;

  constructor(
    private readonly limits: MailboxLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.#sweep = setInterval(() => this.sweep(), Math.min(60_000, Math.max(1000, limits.ttlMs / 10)));
    this.#sweep.unref();
  }

  get blobCount(): number {
    return this.#blobs;
  }

  async put(address: string, data: string, size: number): Promise<PutResult> {
    const now = this.now();
    const e = this.#entry(address, now);
    if (e.blobs.size >= this.limits.maxBlobs) return { ok: false, code: 'mailbox-full' };
    if (this.#bytes + size > this.limits.maxTotalBytes) return { ok: false, code: 'mailbox-storage-full' };
    const id = ++e.seq;
    e.blobs.set(id, { data, size, expiresAt: now + this.limits.ttlMs });
    e.keepUntil = now + this.limits.ttlMs;
    this.#blobs++;
    this.#bytes += size;
    return { ok: true, id: String(id) };
  }

  async fetch(address: string, after: string | null, maxChars: number): Promise<FetchResult> {
    const e = this.#addresses.get(address);
    if (!e) return { blobs: [], more: false };
    this.#prune(e, this.now());
    const from = after === null ? 0 : Number(after);
    const blobs: StoredBlob[] = [];
    let chars = 0;
    for (const [id, b] of e.blobs) {
      if (id <= from) continue;
      if (blobs.length > 0 && chars + b.data.length > maxChars) return { blobs, more: true };
      blobs.push({ id: String(id), data: b.data });
      chars += b.data.length;
    }
    return { blobs, more: false };
  }

  async ack(address: string, ids: string[]): Promise<number> {
    const e = this.#addresses.get(address);
    if (!e) return 0;
    let deleted = 0;
    for (const id of ids) {
      const b = e.blobs.get(Number(id));
      if (!b) continue;
      e.blobs.delete(Number(id));
      this.#blobs--;
      this.#bytes -= b.size;
      deleted++;
    }
    return deleted;
  }

  async stats(): Promise<MailboxStats> {
    return { blobs: this.#blobs, bytes: this.#bytes };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }

  /** Drops expired blobs and forgotten addresses everywhere (also run by a timer). */
  sweep(): void {
    const now = this.now();
    for (const [address, e] of this.#addresses) {
      this.#prune(e, now);
      if (e.blobs.size === 0 && e.keepUntil <= now) this.#addresses.delete(address);
    }
  }

  #entry(address: string, now: number): Entry {
    let e = this.#addresses.get(address);
    if (!e) this.#addresses.set(address, (e = { seq: 0, keepUntil: now, blobs: new Map() }));
    else this.#prune(e, now);
    return e;
  }

  /** Blobs expire in put order (one TTL for all), so the expired ones are at the front. */
  #prune(e: Entry, now: number): void {
    for (const [id, b] of e.blobs) {
      if (b.expiresAt > now) break;
      e.blobs.delete(id);
      this.#blobs--;
      this.#bytes -= b.size;
    }
  }
}

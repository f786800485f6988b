/**
 * File transfers in the app (docs/files.md §8, docs/app.md "Files"): one `TransferManager` per
 * contact over a shared OPFS file store and IndexedDB persistence, attached to each new link
 * before the app's own message listener, and the per-contact list of transfers the chat shows
 * (progress, speed, time left, outcome, download links). Components only render this.
 * @module
 */
import {
  TransferManager,
  removeOrphans,
  type OutgoingFile,
  type LinkPeer,
  type TransferLink,
  type TransferManagerEvent,
} from '../net/transfers';
import { createFileStore } from '../net/opfs-store';
import type { FileStore } from '../net/file-store';
import { IdbTransferPersistence } from '../net/transfer-idb';
import { chosenFiles, type RefusedOffers, type TransferView } from './transfer-view';
import { KeyedThrottle } from './keyed-throttle';

export {
  formatBytes,
  formatEta,
  percent,
  refusedText,
  statusText,
  type RefusedOffers,
  type TransferView,
} from './transfer-view';
import { t, transferFailedText } from './strings';

/** What a tab that does not own the network asks the owner tab to do with transfers (docs/tabs.md §3). */
export interface TransferRemote {
  /** Resolves with the owner's problem line, or null when the offer went out. */
  send(key: string, files: OutgoingFile[]): Promise<string | null>;
  accept(key: string, id: string, files: number[]): Promise<void>;
  act(op: 'decline' | 'cancel' | 'dismiss', key: string, id: string): void;
  markSaved(key: string, id: string, file: number): void;
}

/** How often the "offers declined" line may change while offers are being refused (a flood must not re-render per offer). */
const REFUSED_REFRESH_MS = 500;
/**
 * How often a contact's list may re-render for progress alone (docs/files.md §16). One re-render
 * (the list, layout, paint, the other tabs' mirror) cost ~8 ms of CPU per side; at the core's
 * four progress events a second that was ~0.35 CPU-s per 64 MiB transfer, CPU the data channel
 * needs on a small machine. Any other event re-renders at once.
 */
export const PROGRESS_REFRESH_MS = 1000;

interface Extra {
  speed: number;
  etaMs: number | null;
  cancelledBy?: 'local' | 'peer';
  problem?: string;
}

export class TransfersState {
  /** Transfers per contact key, oldest first. */
  byContact = $state.raw<Record<string, TransferView[]>>({});
  /** Set when transfers cannot work here (no IndexedDB): the picker says so instead of sending. */
  unavailable = $state<string | null>(null);
  /** Why the last send failed before its offer went out (shown under the composer). */
  problem = $state<string | null>(null);
  /** The stable code of `problem` when it has one (`PEER_TOO_OLD`, `VERSION_TOO_OLD`). */
  problemCode = $state<string | null>(null);
  /** Says why files cannot go to a contact now (its Parley is older), or null: set by AppState. */
  gate: ((key: string) => { code: string; message: string; action: string } | null) | null = null;
  /** Unticked files of incoming offers, by transfer id (absent or true = ticked; docs/app.md "Files"). */
  choices = $state.raw<Record<string, boolean[]>>({});
  /** Offers declined unseen by a limit, per contact key (docs/files.md "Offer flood"); the chat shows one line. */
  refused = $state.raw<Record<string, RefusedOffers>>({});
  /** Told about every transfer event (group files take the answers to their requests: docs/groups.md §7). */
  onTransfer: ((key: string, e: TransferManagerEvent) => void) | null = null;
  /** Told about each new incoming offer (docs/app.md "Unread and notices"). */
  onIncomingOffer: ((key: string) => void) | null = null;

  /** Set in a tab that does not own the network (docs/tabs.md §3): the owner tab's transfers do the work. */
  remote: TransferRemote | null = null;

  private store: FileStore | null = null;
  private persistence: IdbTransferPersistence | null = null;
  private readonly managers = new Map<string, TransferManager>();
  private readonly opening = new Map<string, Promise<TransferManager | null>>();
  private readonly pendingLinks = new Map<string, { link: TransferLink; peer: LinkPeer }>();
  private readonly extra = new Map<string, Extra>();
  private readonly urls = new Map<string, (string | null)[]>();
  private readonly refusedNow = new Map<string, RefusedOffers>();
  private refusedTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly rebuilds = new KeyedThrottle(PROGRESS_REFRESH_MS, (key) => this.rebuild(key));

  /** Opens storage and every known contact's manager (their saved transfers resume on the next link). */
  async open(contactKeys: string[]): Promise<void> {
    try {
      this.store = createFileStore();
      this.persistence = await IdbTransferPersistence.open();
    } catch {
      this.unavailable = t.problem.noFileStorage;
      return;
    }
    for (const key of contactKeys) await this.manager(key);
    // Data on disk that no saved transfer refers to (a crash between writing and saving).
    await removeOrphans(this.store, await this.persistence.ids()).catch(() => []);
  }

  /**
   * A verified link to `key` is up. Must run before the app registers its own `onMessage`: a link
   * hands messages that arrived before any listener only to its first listener (docs/files.md §8).
   * `peer`: what the contact announced on it (docs/files.md §14).
   */
  linkUp(key: string, link: TransferLink, peer: LinkPeer = {}): void {
    const m = this.managers.get(key);
    if (m) {
      m.attach(link, peer);
      return;
    }
    // A new contact: its manager opens now, and takes the link once it is ready.
    this.pendingLinks.set(key, { link, peer });
    void this.manager(key);
  }

  /** The contact's transfers, oldest first. */
  list(key: string | null): TransferView[] {
    return key ? (this.byContact[key] ?? []) : [];
  }

  /** Offers files to a contact (sent when the link is up; survives reloads of either page). */
  async send(key: string, files: OutgoingFile[]): Promise<void> {
    if (files.length === 0) return;
    const refused = this.gate?.(key);
    this.problemCode = refused?.code ?? null;
    if (refused) {
      this.problem = `${refused.message} ${refused.action}`; // refused up front: nothing is stored or sent
      return;
    }
    if (this.remote) {
      this.problem = await this.remote.send(key, files);
      return;
    }
    const m = await this.manager(key);
    if (!m) return;
    this.problem = null;
    try {
      await m.send(files);
    } catch (e) {
      // A file that cannot be read (moved, deleted, no permission) or storage that refused it.
      this.refresh(key);
      this.problem = `Could not send ${files.length === 1 ? files[0]!.name : `${files.length} files`}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /** Ticks or unticks one file of an incoming offer before it is accepted. */
  choose(id: string, file: number, on: boolean): void {
    const c = [...(this.choices[id] ?? [])];
    c[file] = on;
    this.choices = { ...this.choices, [id]: c };
  }

  /** The ticked files of an offer, ascending. */
  chosen(t: Pick<TransferView, 'id' | 'files'>): number[] {
    return chosenFiles(this.choices[t.id], t.files.length);
  }

  /** Accepts the ticked files of an incoming offer (nothing when none is ticked: the button says why). */
  async accept(key: string, id: string): Promise<void> {
    const t = this.list(key).find((x) => x.id === id);
    if (!t) return;
    const files = this.chosen(t);
    if (files.length === 0) return;
    await this.acceptFiles(key, id, files);
  }

  /** Accepts exactly `files` of an incoming offer (the owner tab, for another tab's Accept). */
  async acceptFiles(key: string, id: string, files: number[]): Promise<void> {
    if (this.remote) await this.remote.accept(key, id, files);
    else await this.managers.get(key)?.accept(id, files);
    this.forgetChoice(id);
  }

  private forgetChoice(id: string): void {
    if (!(id in this.choices)) return;
    const { [id]: _answered, ...rest } = this.choices;
    this.choices = rest;
  }
  decline(key: string, id: string): void {
    if (this.remote) return this.remote.act('decline', key, id);
    this.managers.get(key)?.decline(id);
  }
  cancel(key: string, id: string): void {
    if (this.remote) return this.remote.act('cancel', key, id);
    this.managers.get(key)?.cancel(id);
  }

  /**
   * The person clicked Save on a received file (its download started). Once every received file of
   * the transfer was saved, its data leaves OPFS at the next start of the app; the chat keeps the
   * record (docs/app.md "Files").
   */
  markSaved(key: string, id: string, file: number): void {
    if (this.remote) return this.remote.markSaved(key, id, file);
    try {
      this.managers.get(key)?.markSaved(id, file);
    } catch {
      /* not a received file (a stale click): nothing to remember */
    }
    this.refresh(key);
  }

  /** A received, verified file of a transfer (this tab's own transfers only), or null. */
  async getFile(key: string, id: string, file: number): Promise<Blob | null> {
    return (
      (await this.managers
        .get(key)
        ?.getFile(id, file)
        .catch(() => null)) ?? null
    );
  }

  /** Forgets a finished transfer: its record, and for received files the data in OPFS. */
  async dismiss(key: string, id: string): Promise<void> {
    if (this.remote) return this.remote.act('dismiss', key, id);
    await this.managers.get(key)?.dismiss(id);
    for (const u of this.urls.get(id) ?? []) if (u) URL.revokeObjectURL(u);
    this.urls.delete(id);
    this.extra.delete(id);
    this.refresh(key);
  }

  async close(): Promise<void> {
    this.rebuilds.stop();
    for (const m of this.managers.values()) await m.close();
  }

  private manager(key: string): Promise<TransferManager | null> {
    const have = this.managers.get(key);
    if (have) return Promise.resolve(have);
    let p = this.opening.get(key);
    if (!p) {
      p = this.openManager(key);
      this.opening.set(key, p);
    }
    return p;
  }

  private async openManager(key: string): Promise<TransferManager | null> {
    if (!this.store || !this.persistence) return null;
    const m = await TransferManager.open({ contact: key, store: this.store, persistence: this.persistence });
    this.managers.set(key, m);
    m.on((e) => this.onEvent(key, m, e));
    const link = this.pendingLinks.get(key);
    this.pendingLinks.delete(key);
    if (link) m.attach(link.link, link.peer);
    this.refresh(key);
    for (const t of m.list()) if (t.direction === 'in' && t.status === 'done') void this.loadUrls(key, m, t.id);
    return m;
  }

  /** Counts an offer declined unseen; the shown line changes at most every REFUSED_REFRESH_MS. */
  private countRefused(key: string, e: Extract<TransferManagerEvent, { type: 'refused' }>): void {
    const r = this.refusedNow.get(key) ?? this.refused[key] ?? { offers: 0, files: 0, bound: e.bound };
    this.refusedNow.set(key, { offers: r.offers + 1, files: r.files + e.files, bound: e.bound });
    this.refusedTimer ??= setTimeout(() => {
      this.refusedTimer = null;
      this.refused = { ...this.refused, ...Object.fromEntries(this.refusedNow) };
      this.refusedNow.clear();
    }, REFUSED_REFRESH_MS);
  }

  /** The person read the "offers declined" line: it goes until the next refusal. */
  clearRefused(key: string): void {
    if (!(key in this.refused)) return;
    const { [key]: _seen, ...rest } = this.refused;
    this.refused = rest;
  }

  /** An ended transfer the manager dropped to make room (docs/files.md "Offer flood"). */
  private forgotten(key: string, id: string): void {
    for (const u of this.urls.get(id) ?? []) if (u) URL.revokeObjectURL(u);
    this.urls.delete(id);
    this.extra.delete(id);
    this.forgetChoice(id);
    this.refresh(key);
  }

  private onEvent(key: string, m: TransferManager, e: TransferManagerEvent): void {
    // Neither touches a listed transfer's view: no per-transfer state, no re-render per refused offer.
    this.onTransfer?.(key, e);
    if (e.type === 'refused') return this.countRefused(key, e);
    if (e.type === 'forgotten') return this.forgotten(key, e.id);
    const x = this.extra.get(e.id) ?? { speed: 0, etaMs: null };
    this.extra.set(e.id, x);
    switch (e.type) {
      case 'offered':
        if (e.direction === 'in') this.onIncomingOffer?.(key);
        break;
      case 'progress':
        x.speed = e.progress.speed;
        x.etaMs = e.progress.etaMs;
        return this.rebuilds.soon(key);
      case 'cancelled':
        x.cancelledBy = e.by;
        this.forgetChoice(e.id);
        break;
      case 'declined':
        this.forgetChoice(e.id);
        break;
      case 'failed':
        // Human words, not the core's ("hashes up to chunk N…"): docs/app.md "Files".
        x.problem = transferFailedText(e.failure.code);
        break;
      case 'file-complete':
        void this.loadUrl(key, m, e.id, e.file);
        break;
      // Files verified before a reload had their event then: every file has its link now.
      case 'complete':
        if (e.direction === 'in') void this.loadUrls(key, m, e.id);
        break;
      default:
        break;
    }
    this.refresh(key);
  }

  /** Download links for every received (accepted) file of a transfer; skipped files get none. */
  private async loadUrls(key: string, m: TransferManager, id: string): Promise<void> {
    for (const i of m.list().find((t) => t.id === id)?.accepted ?? []) await this.loadUrl(key, m, id, i);
  }

  private async loadUrl(key: string, m: TransferManager, id: string, file: number): Promise<void> {
    try {
      const blob = await m.getFile(id, file);
      const urls = this.urls.get(id) ?? [];
      if (urls[file]) return;
      urls[file] = URL.createObjectURL(blob);
      this.urls.set(id, urls);
      this.refresh(key);
    } catch {
      /* not accepted, or already dismissed: no link */
    }
  }

  /** Rebuilds the contact's list now (and drops a pending progress-only rebuild). */
  private refresh(key: string): void {
    this.rebuilds.now(key);
  }

  /** Rebuilds the contact's list from its manager (the source of truth) plus what events added. */
  private rebuild(key: string): void {
    const m = this.managers.get(key);
    const views: TransferView[] = (m?.list() ?? []).map((t) => {
      const x = this.extra.get(t.id);
      const active = t.status === 'active';
      return {
        id: t.id,
        direction: t.direction,
        files: t.files,
        status: t.status,
        done: t.done,
        total: t.total,
        createdAt: t.createdAt,
        speed: active ? (x?.speed ?? 0) : 0,
        etaMs: active ? (x?.etaMs ?? null) : null,
        cancelledBy: x?.cancelledBy,
        problem: x?.problem,
        urls: this.urls.get(t.id) ?? [],
        accepted: t.accepted,
        saved: t.saved,
        purged: t.purged,
      };
    });
    views.sort((a, b) => a.createdAt - b.createdAt);
    this.byContact = { ...this.byContact, [key]: views };
  }
}

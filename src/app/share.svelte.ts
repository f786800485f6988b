/**
 * The page's half of the share target (docs/pwa.md "Share target"): when the service worker sent
 * the app to `#share`, the kept text and files are read back from Cache Storage (and removed
 * there), and a "Share to…" sheet lets the person pick a contact; nothing is sent before they press
 * Send. Then the text goes as a message and the files as one offer.
 * @module
 */
import {
  SHARE_CACHE,
  SHARE_FRAGMENT,
  SHARE_META_URL,
  isSharedMeta,
  shareFileUrl,
  type SharedMeta,
} from './share-limits';
import { t } from './strings';

/** A share waiting for the person: what the service worker kept, with the files as `File`s. */
export interface PendingShare {
  meta: SharedMeta;
  files: File[];
}

/** What sending a share needs from the rest of the app. */
export interface ShareServices {
  /** Opens the contact's chat. */
  select(key: string): Promise<void>;
  /** Sends text in the open chat; a problem in words, or null. */
  sendText(text: string): Promise<string | null>;
  sendFiles(key: string, files: File[]): Promise<void>;
}

export class ShareState {
  pending = $state.raw<PendingShare | null>(null);
  /** The contact picked in the sheet. */
  target = $state<string | null>(null);
  /** The share could not be kept or read back, or sending its text failed: in words. */
  problem = $state<string | null>(null);
  busy = $state(false);

  constructor(private readonly services: ShareServices) {}

  /**
   * Takes a share the service worker kept, when the address says one arrived (`#share`, which stays
   * until the share is sent or cancelled, so a reload shows the sheet again). Without it, a share
   * left behind by a closed sheet is deleted.
   */
  async pickUp(): Promise<void> {
    const hash = location.hash;
    if (!hash.startsWith(SHARE_FRAGMENT)) {
      if (typeof caches !== 'undefined') await caches.delete(SHARE_CACHE).catch(() => false);
      return;
    }
    if (hash !== SHARE_FRAGMENT) {
      clearFragment();
      this.problem = t.share.notKept;
      return;
    }
    try {
      const cache = await caches.open(SHARE_CACHE);
      const meta: unknown = await (await cache.match(SHARE_META_URL))?.json();
      if (!isSharedMeta(meta)) return;
      const files: File[] = [];
      for (const [i, f] of meta.files.entries()) {
        const blob = await (await cache.match(shareFileUrl(i)))?.blob();
        if (blob) files.push(new File([blob], f.name, { type: f.type }));
      }
      this.pending = { meta, files };
    } catch {
      this.problem = t.share.unreadable;
    }
  }

  choose(key: string): void {
    this.target = key;
  }

  /** Sends the share to the chosen contact: the text as a message, the files as one offer. */
  async send(): Promise<void> {
    const p = this.pending;
    const key = this.target;
    if (!p || !key || this.busy) return;
    this.busy = true;
    try {
      await this.services.select(key);
      const problem = p.meta.text ? await this.services.sendText(p.meta.text) : null;
      if (problem) {
        this.problem = problem;
        return;
      }
      await this.services.sendFiles(key, p.files);
      this.clear();
    } finally {
      this.busy = false;
    }
  }

  /** Drops the share (Cancel, or sent). */
  clear(): void {
    this.pending = null;
    this.target = null;
    this.problem = null;
    if (location.hash === SHARE_FRAGMENT) clearFragment();
    void caches.delete(SHARE_CACHE).catch(() => false);
  }
}

function clearFragment(): void {
  history.replaceState(null, '', location.pathname + location.search);
}

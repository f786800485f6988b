/**
 * When a new version of Parley takes over (docs/pwa.md "Updates"): never while a file moves, and
 * never before the person clicked Reload in this tab — except that a tab whose service worker was
 * already replaced (the person reloaded another tab) reloads once its transfers are done, since its
 * old files are gone from the cache. Pure, so the rule is tested without a browser.
 * @module
 */
import type { TransferView } from './transfer-view';

/** Transfers that a reload would interrupt: files moving. */
export function busyTransfers(byContact: Readonly<Record<string, readonly TransferView[]>>): number {
  let n = 0;
  for (const list of Object.values(byContact)) for (const t of list) if (t.status === 'active') n++;
  return n;
}

export interface UpdateFacts {
  /** A new service worker is installed and waiting. */
  waiting: boolean;
  /** The person clicked Reload. */
  clicked: boolean;
  /** The new service worker controls this page now (this tab's click, or another tab's). */
  controlling: boolean;
  /** Transfers a reload would interrupt. */
  busy: number;
}

/** What to do now: nothing, let the waiting worker take over (`activate`), or reload the page. */
export function updateStep(f: UpdateFacts): 'none' | 'activate' | 'reload' {
  if (f.busy > 0) return 'none';
  if (f.controlling) return 'reload';
  return f.waiting && f.clicked ? 'activate' : 'none';
}

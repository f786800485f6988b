/**
 * The open chat's connection route (docs/app.md "Network: TURN and relay-only"): direct or
 * through a TURN relay, the round trip, and during a transfer the throughput, read from the
 * live link's `getStats()` every {@link ROUTE_POLL_MS} while the chat is open and the page is
 * visible. `ConnectionRoute.svelte` starts {@link RouteWatch.watch} for the open chat and stops it
 * when the chat closes.
 * @module
 */
import { routeSample, throughput, type RouteSample, type StatsReportLike } from '../net/route-stats';
import { routeView, type RouteView } from './route-view';

export type { RouteView };

/** How often the open chat's link stats are read (only while the chat is open and the page visible). */
export const ROUTE_POLL_MS = 2_000;

export interface RouteWatchDeps {
  /** The live link's stats report for a contact, null without one. */
  stats(key: string): Promise<StatsReportLike | null>;
  /** Whether a transfer with the contact is moving (then the line shows throughput). */
  transferring(key: string): boolean;
  /** The contact's display name, for the words. */
  name(key: string): string;
}

/** Polls one contact's link at a time; `view` is what the route line shows. */
export class RouteWatch {
  view = $state.raw<RouteView | null>(null);
  private last: RouteSample | null = null;

  constructor(
    private readonly deps: RouteWatchDeps,
    private readonly intervalMs = ROUTE_POLL_MS,
  ) {}

  /** Reads `key`'s route now and then every interval while the page is visible; call the result to stop. */
  watch(key: string): () => void {
    let timer: ReturnType<typeof setInterval> | null = null;
    let stopped = false;
    const poll = () => void this.poll(key, () => stopped);
    const visible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
    const sync = () => {
      if (visible() && timer === null) {
        poll();
        timer = setInterval(poll, this.intervalMs);
      } else if (!visible() && timer !== null) {
        clearInterval(timer);
        timer = null;
      }
    };
    this.last = null;
    this.view = null;
    sync();
    document.addEventListener('visibilitychange', sync);
    return () => {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      document.removeEventListener('visibilitychange', sync);
      this.view = null;
      this.last = null;
    };
  }

  private async poll(key: string, stopped: () => boolean): Promise<void> {
    const report = await this.deps.stats(key);
    if (stopped()) return;
    if (!report) {
      this.view = null;
      this.last = null;
      return;
    }
    const s = routeSample(report);
    const rate = this.last && this.deps.transferring(key) ? throughput(this.last, s) : null;
    this.last = s;
    this.view = routeView(s, rate, this.deps.name(key));
  }
}

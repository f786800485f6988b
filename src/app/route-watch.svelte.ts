/**
 * The open chat's connection route (docs/app.md "Network: TURN and relay-only"): direct or
 * through a TURN relay, the round trip, and during a transfer the throughput, read from the
 * live link's `getStats()` every {@link ROUTE_POLL_MS} while the chat is open and the page is
 * visible. `ConnectionRoute.svelte` starts {@link RouteWatch.watch} for the open chat and stops it
 * when the chat closes.
 * @module
 */
import { routeSample, throughput, type RouteSample, type StatsReportLike } from '../net/route-stats';

/** How often the open chat's link stats are read (only while the chat is open and the page visible). */
export const ROUTE_POLL_MS = 2_000;

/** What the route line shows. */
export interface RouteView {
  /** `unknown` until ICE reports a selected pair. */
  route: 'direct' | 'relay' | 'unknown';
  /** Candidate types of the selected pair (`host`, `srflx`, `prflx`, `relay`), for the title and tests. */
  local: string;
  remote: string;
  text: string;
  /** Longer explanation (the line's title). */
  detail: string;
}

const fmtRate = (bps: number): string =>
  bps >= 1e6
    ? `${(bps / 1e6).toFixed(1)} MB/s`
    : bps >= 1e3
      ? `${Math.round(bps / 1e3)} kB/s`
      : `${Math.round(bps)} B/s`;

/**
 * The words for a sample: how the link goes, the round trip, and (`rate` given, during a
 * transfer) bytes per second the busier way.
 */
export function routeView(
  s: RouteSample,
  rate: { sentPerSecond: number; receivedPerSecond: number } | null,
  name: string,
): RouteView {
  const route = s.route ?? 'unknown';
  const parts = [
    route === 'relay' ? 'Through a TURN relay' : route === 'direct' ? 'Direct connection' : 'Route not known yet',
  ];
  if (s.rttMs !== null) parts.push(`round trip ${s.rttMs < 10 ? s.rttMs.toFixed(1) : Math.round(s.rttMs)} ms`);
  if (rate) parts.push(fmtRate(Math.max(rate.sentPerSecond, rate.receivedPerSecond)));
  const hidden =
    s.local === 'relay'
      ? `${name} sees the relay’s address, not yours.`
      : `${name} can see this browser’s IP address; “Hide my IP address” sends everything through the relay.`;
  const detail =
    route === 'unknown'
      ? 'The browser has not reported which way this connection goes yet.'
      : `Your side: ${s.local ?? '?'} candidate${s.relayProtocol ? ` (${s.relayProtocol} to the relay)` : ''}, their side: ${s.remote ?? '?'} candidate. ${hidden}`;
  return { route, local: s.local ?? '', remote: s.remote ?? '', text: parts.join(' · '), detail };
}

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

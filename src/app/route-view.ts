/**
 * The words of the open chat's route line (docs/app.md "Network: TURN and relay-only"): direct or
 * through a TURN relay, the round trip, the throughput during a transfer, and whose IP address
 * the contact can see. Pure, for tests; `RouteWatch` (route-watch.svelte.ts) feeds it samples.
 * @module
 */
import type { RouteSample } from '../net/route-stats';
import { formatMilliseconds, formatSpeed } from './format';
import { t } from './strings';

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
  const parts: string[] = [route === 'relay' ? t.route.relay : route === 'direct' ? t.route.direct : t.route.unknown];
  if (s.rttMs !== null) parts.push(t.route.roundTrip(formatMilliseconds(s.rttMs)));
  if (rate) parts.push(formatSpeed(Math.max(rate.sentPerSecond, rate.receivedPerSecond)));
  const hidden = s.local === 'relay' ? t.route.hidden(name) : t.route.seen(name);
  const detail =
    route === 'unknown'
      ? t.route.notReported
      : t.route.detail(s.local ?? '?', s.relayProtocol ?? undefined, s.remote ?? '?', hidden);
  return { route, local: s.local ?? '', remote: s.remote ?? '', text: parts.join(' · '), detail };
}

/**
 * Which way a WebRTC link goes, read from `RTCPeerConnection.getStats()` (docs/net.md "Route
 * and round trip"): the selected ICE candidate pair, its two candidates' types (a `relay`
 * candidate on either end means the traffic goes through a TURN server), the round-trip time,
 * and byte counters for a throughput between two samples. Pure: it reads a report, so tests
 * feed it recorded reports.
 * @module
 */

/** The part of an `RTCStatsReport` this module reads (a `Map` of stats objects by id). */
export interface StatsReportLike {
  forEach(cb: (value: unknown, key: string) => void): void;
  get(id: string): unknown;
}

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** One reading of a link's route. */
export interface RouteSample {
  /** `relay` when either candidate of the selected pair is a TURN relay candidate; null before ICE picked a pair. */
  readonly route: 'direct' | 'relay' | null;
  readonly local: CandidateType | null;
  readonly remote: CandidateType | null;
  /** Transport between the two candidates (`udp`, `tcp`). */
  readonly protocol: string | null;
  /** How this side reaches its TURN server (`udp`, `tcp`, `tls`), when the local candidate is a relay one. */
  readonly relayProtocol: string | null;
  /** The selected pair's current round-trip time, in ms (STUN consent checks), when known. */
  readonly rttMs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** The report's timestamp (ms). */
  readonly at: number;
}

type Stat = Record<string, unknown> & { type?: unknown; id?: unknown };

const CANDIDATE_TYPES = new Set(['host', 'srflx', 'prflx', 'relay']);

function stat(report: StatsReportLike, id: unknown): Stat | null {
  if (typeof id !== 'string') return null;
  const s = report.get(id);
  return typeof s === 'object' && s !== null ? (s as Stat) : null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 16 ? v : null);

/**
 * The selected candidate pair: the one a `transport` stat names (`selectedCandidatePairId`,
 * Chromium and the spec), else one flagged `selected` (Firefox), else a nominated pair that
 * succeeded (implementations with neither).
 */
export function selectedPair(report: StatsReportLike): Stat | null {
  const all: Stat[] = [];
  report.forEach((v) => {
    if (typeof v === 'object' && v !== null) all.push(v as Stat);
  });
  for (const t of all) {
    if (t.type !== 'transport') continue;
    const pair = stat(report, t.selectedCandidatePairId);
    if (pair?.type === 'candidate-pair') return pair;
  }
  const pairs = all.filter((s) => s.type === 'candidate-pair');
  return (
    pairs.find((p) => p.selected === true) ?? pairs.find((p) => p.nominated === true && p.state === 'succeeded') ?? null
  );
}

function candidateType(c: Stat | null): CandidateType | null {
  const t = c?.candidateType;
  return typeof t === 'string' && CANDIDATE_TYPES.has(t) ? (t as CandidateType) : null;
}

/** Reads the route, round trip and byte counters out of one stats report. */
export function routeSample(report: StatsReportLike): RouteSample {
  const pair = selectedPair(report);
  const local = pair ? stat(report, pair.localCandidateId) : null;
  const remote = pair ? stat(report, pair.remoteCandidateId) : null;
  const lt = candidateType(local);
  const rt = candidateType(remote);
  const rtt = num(pair?.currentRoundTripTime);
  return {
    route: lt === null && rt === null ? null : lt === 'relay' || rt === 'relay' ? 'relay' : 'direct',
    local: lt,
    remote: rt,
    protocol: str(local?.protocol) ?? str(remote?.protocol),
    relayProtocol: lt === 'relay' ? str(local?.relayProtocol) : null,
    rttMs: rtt === null ? null : rtt * 1000,
    bytesSent: num(pair?.bytesSent) ?? 0,
    bytesReceived: num(pair?.bytesReceived) ?? 0,
    at: num(pair?.timestamp) ?? 0,
  };
}

/** Bytes per second each way between two samples of the same link; null when it cannot be told. */
export function throughput(
  prev: RouteSample,
  next: RouteSample,
): { sentPerSecond: number; receivedPerSecond: number } | null {
  const dt = (next.at - prev.at) / 1000;
  const sent = next.bytesSent - prev.bytesSent;
  const received = next.bytesReceived - prev.bytesReceived;
  // A new pair (ICE switched) starts its counters afresh: no rate across that.
  if (!(dt > 0) || sent < 0 || received < 0) return null;
  return { sentPerSecond: sent / dt, receivedPerSecond: received / dt };
}

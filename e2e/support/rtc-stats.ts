/**
 * Page instrumentation for the TURN tests: keeps every RTCPeerConnection the page makes, the
 * candidates it gathered, and a `getStats()` snapshot of each one that connected, so a test can
 * check which kinds of ICE candidates a browser used from the browser's own statistics (not from
 * the app's words).
 */
import type { BrowserContext, Page } from '@playwright/test';

/** What one RTCPeerConnection of the page used, from its `getStats()`. */
export interface PcStats {
  /** The policy it was made with (`getConfiguration().iceTransportPolicy`). */
  policy: string;
  connectionState: string;
  /** `candidateType` of every local-candidate in the report. */
  localTypes: string[];
  remoteTypes: string[];
  /** Local and remote candidate types of the selected pair, when there is one. */
  selected: { local: string; remote: string } | null;
}

interface Recorded {
  pcs: RTCPeerConnection[];
  /** Local candidate lines from `icecandidate` events, every connection, also closed ones. */
  gathered: string[];
  /** A snapshot of each connection that reached `connected`, taken at that moment. */
  connected: PcStats[];
}

export async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __rtcRec: Recorded; __rtcSnap: (pc: RTCPeerConnection) => Promise<PcStats> };
    w.__rtcRec = { pcs: [], gathered: [], connected: [] };
    w.__rtcSnap = async (pc) => {
      const report = await pc.getStats();
      const byId = new Map<string, Record<string, unknown>>();
      report.forEach((s: Record<string, unknown>) => byId.set(s.id as string, s));
      const all = [...byId.values()];
      const types = (t: string) => all.filter((s) => s.type === t).map((s) => String(s.candidateType));
      const transport = all.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport ? byId.get(transport.selectedCandidatePairId as string) : undefined;
      const typeOf = (id: unknown) => String(byId.get(id as string)?.candidateType);
      return {
        policy: String(pc.getConfiguration().iceTransportPolicy),
        connectionState: pc.connectionState,
        localTypes: types('local-candidate'),
        remoteTypes: types('remote-candidate'),
        selected: pair ? { local: typeOf(pair.localCandidateId), remote: typeOf(pair.remoteCandidateId) } : null,
      };
    };
    const Orig = window.RTCPeerConnection;
    class Recording extends Orig {
      constructor(config?: RTCConfiguration) {
        super(config);
        w.__rtcRec.pcs.push(this);
        this.addEventListener('icecandidate', (e) => {
          if (e.candidate?.candidate) w.__rtcRec.gathered.push(e.candidate.candidate);
        });
        this.addEventListener('connectionstatechange', () => {
          if (this.connectionState === 'connected') void w.__rtcSnap(this).then((s) => w.__rtcRec.connected.push(s));
        });
      }
    }
    window.RTCPeerConnection = Recording;
  });
}

/** `getStats()` of every connection of the page that is not closed, now. */
export function liveConnectionStats(page: Page): Promise<PcStats[]> {
  return page.evaluate(async () => {
    const w = window as unknown as { __rtcRec: Recorded; __rtcSnap: (pc: RTCPeerConnection) => Promise<PcStats> };
    const live = w.__rtcRec.pcs.filter((pc) => pc.connectionState !== 'closed');
    return Promise.all(live.map((pc) => w.__rtcSnap(pc)));
  });
}

/** The snapshots taken as connections came up, and every local candidate line gathered. */
export function recordedConnections(page: Page): Promise<{ connected: PcStats[]; gathered: string[] }> {
  return page.evaluate(() => {
    const r = (window as unknown as { __rtcRec: Recorded }).__rtcRec;
    return { connected: r.connected, gathered: r.gathered };
  });
}

/** `typ relay` etc. from a candidate line (RFC 8839). */
export function candidateLineType(line: string): string {
  return /\styp\s+(\S+)/.exec(line)?.[1] ?? '?';
}

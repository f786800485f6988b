/**
 * The route summary (src/net/route-stats.ts) and its words (src/app/route-view.ts), fed real
 * `getStats()` reports recorded on loopback by scripts/record-webrtc-stats.ts (Chromium direct,
 * through coturn on both sides, on one side each way; node-datachannel), plus Firefox's shape as
 * documented (a `selected` pair and no transport stat), which we cannot record here.
 */
import { describe, expect, it } from 'vitest';
import recorded from '../vectors/webrtc-stats.json';
import { routeSample, selectedPair, throughput, type RouteSample } from '../../src/net/route-stats';
import { routeView } from '../../src/app/route-view';

type Stat = Record<string, unknown> & { id: string };
const report = (stats: readonly object[]) => new Map((stats as Stat[]).map((s) => [s.id, s]));
const cases = recorded.cases as unknown as Record<string, [Stat[], Stat[]]>;
const sample = (name: string, i: 0 | 1) => routeSample(report(cases[name]![i]));

describe('routeSample on recorded reports', () => {
  it('Chromium, host to host: direct, with the round trip in ms and the byte counters', () => {
    const s = sample('chromium-direct', 1);
    expect(s).toMatchObject({ route: 'direct', local: 'host', remote: 'host', protocol: 'udp', relayProtocol: null });
    expect(s.rttMs).toBeCloseTo(5, 5); // currentRoundTripTime 0.005 s
    expect(s.bytesSent).toBeGreaterThan(1 << 20);
    expect(s.at).toBeGreaterThan(0);
  });

  it('Chromium, both relay-only through coturn: relayed, and how this side reaches the relay', () => {
    expect(sample('chromium-relay', 1)).toMatchObject({
      route: 'relay',
      local: 'relay',
      remote: 'relay',
      relayProtocol: 'udp',
    });
  });

  it('one side relayed is a relayed route, whichever side it is', () => {
    expect(sample('chromium-relay-local-only', 1)).toMatchObject({ route: 'relay', local: 'relay', remote: 'host' });
    expect(sample('chromium-relay-remote-only', 1)).toMatchObject({ route: 'relay', local: 'host', remote: 'relay' });
  });

  it('reads the pair the transport selected, not another pair that also succeeded', () => {
    // The recorded report holds a second pair (with a relay candidate of ours) that ICE did not
    // select; make it look as good as the selected one (nominated, succeeded, listed first), as an
    // earlier pair does after ICE switched.
    const stats = cases['chromium-relay-remote-only']![1];
    const transport = stats.find((s) => s.type === 'transport')!;
    const other = stats.find((s) => s.type === 'candidate-pair' && s.id !== transport.selectedCandidatePairId)!;
    const rival: Stat = { ...other, nominated: true, state: 'succeeded' };
    const doctored = [rival, ...stats.filter((s) => s !== other)];
    expect(selectedPair(report(doctored))?.id).toBe(transport.selectedCandidatePairId);
    expect(routeSample(report(doctored))).toMatchObject({ route: 'relay', local: 'host', remote: 'relay' });
    // Without the transport's pointer the first nominated pair that succeeded is all there is to go by.
    expect(selectedPair(report(doctored.filter((s) => s.type !== 'transport')))?.id).toBe(other.id);
  });

  it('node-datachannel (the node tests): direct; its rtt is in ms where the spec says seconds', () => {
    const s = sample('node-datachannel-direct', 1);
    expect(s).toMatchObject({ route: 'direct', local: 'host', remote: 'host' });
    expect(s.bytesSent).toBe(1 << 20);
  });

  it("Firefox's shape: the pair flagged selected, no transport stat", () => {
    const ff = report([
      { id: 'l1', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'tcp' },
      { id: 'r1', type: 'remote-candidate', candidateType: 'srflx', protocol: 'udp' },
      { id: 'l2', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
      { id: 'p2', type: 'candidate-pair', localCandidateId: 'l2', remoteCandidateId: 'r1', state: 'failed' },
      {
        id: 'p1',
        type: 'candidate-pair',
        localCandidateId: 'l1',
        remoteCandidateId: 'r1',
        selected: true,
        state: 'succeeded',
        currentRoundTripTime: 0.042,
        bytesSent: 10,
        bytesReceived: 20,
        timestamp: 1000,
      },
    ]);
    expect(routeSample(ff)).toEqual({
      route: 'relay',
      local: 'relay',
      remote: 'srflx',
      protocol: 'udp',
      relayProtocol: 'tcp',
      rttMs: 42,
      bytesSent: 10,
      bytesReceived: 20,
      at: 1000,
    });
  });

  it('before ICE picked a pair, or from a report of junk: route unknown, nothing thrown', () => {
    const early = cases['chromium-direct']![0].map((s) =>
      s.type === 'transport'
        ? { ...s, selectedCandidatePairId: undefined }
        : s.type === 'candidate-pair'
          ? { ...s, nominated: false }
          : s,
    );
    expect(routeSample(report(early)).route).toBeNull();
    for (const junk of [
      [],
      [{ id: 't', type: 'transport', selectedCandidatePairId: 'nope' }],
      [
        { id: 't', type: 'transport', selectedCandidatePairId: 'l' },
        { id: 'l', type: 'local-candidate' },
      ],
      [{ id: 'p', type: 'candidate-pair', selected: true, localCandidateId: 42, currentRoundTripTime: 'x' }],
    ])
      expect(routeSample(report(junk))).toMatchObject({ route: null, rttMs: null, bytesSent: 0 });
    const odd = routeSample(
      report([
        { id: 'p', type: 'candidate-pair', selected: true, localCandidateId: 'l', remoteCandidateId: 'r' },
        { id: 'l', type: 'local-candidate', candidateType: 'wormhole' },
        { id: 'r', type: 'remote-candidate', candidateType: 'host', protocol: 'x'.repeat(100) },
      ]),
    );
    expect(odd).toMatchObject({ route: 'direct', local: null, remote: 'host', protocol: null });
  });
});

describe('throughput', () => {
  it('bytes over time between the two recorded samples of one link', () => {
    const before = sample('chromium-relay', 0);
    const after = sample('chromium-relay', 1);
    const r = throughput(before, after)!;
    const seconds = (after.at - before.at) / 1000;
    expect(seconds).toBeGreaterThan(0);
    expect(r.sentPerSecond).toBeCloseTo((after.bytesSent - before.bytesSent) / seconds, 6);
    expect(r.sentPerSecond).toBeGreaterThan((1 << 20) / seconds - 1);
    expect(r.receivedPerSecond).toBeGreaterThanOrEqual(0);
  });

  it('none across a pair change (counters start again), or without time passing', () => {
    const a = sample('chromium-direct', 1);
    expect(throughput(a, { ...a, bytesSent: 0 })).toBeNull();
    expect(throughput(a, a)).toBeNull();
  });
});

describe('routeView', () => {
  const base: RouteSample = {
    route: 'direct',
    local: 'host',
    remote: 'host',
    protocol: 'udp',
    relayProtocol: null,
    rttMs: 3.25,
    bytesSent: 0,
    bytesReceived: 0,
    at: 0,
  };

  it('says direct or relayed, the round trip, and the rate only when given', () => {
    expect(routeView(base, null, 'Bob')).toMatchObject({
      route: 'direct',
      text: 'Direct connection · round trip 3.3 ms',
    });
    const relayed = routeView(
      { ...base, route: 'relay', local: 'relay', remote: 'relay', relayProtocol: 'udp', rttMs: 41.6 },
      { sentPerSecond: 12_345_678, receivedPerSecond: 1000 },
      'Bob',
    );
    expect(relayed.text).toBe('Through a TURN relay · round trip 42 ms · 12 MB/s');
    expect(relayed.detail).toContain('Bob sees the relay’s address, not yours');
    expect(routeView({ ...base, rttMs: null }, { sentPerSecond: 0, receivedPerSecond: 2500 }, 'Bob').text).toBe(
      'Direct connection · 2.5 kB/s',
    );
  });

  it('tells whose address the contact can see: relayed only on their side still shows ours', () => {
    const theirs = routeView({ ...base, route: 'relay', local: 'host', remote: 'relay' }, null, 'Bob');
    expect(theirs.route).toBe('relay');
    expect(theirs.detail).toContain('Bob can see this browser’s IP address');
    expect(routeView({ ...base, route: null, local: null, remote: null }, null, 'Bob')).toMatchObject({
      route: 'unknown',
      text: 'Route not known yet · round trip 3.3 ms',
    });
  });
});

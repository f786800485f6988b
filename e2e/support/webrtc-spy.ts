/**
 * Page instrumentation for the metadata test: records every RTCPeerConnection's SDP (local and
 * remote) and ICE candidates so the test knows exactly which values must never reach the relay.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { readStore } from './session';

export async function spyOnWebRTC(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __rtc: { sdp: string[]; candidates: string[] } };
    w.__rtc = { sdp: [], candidates: [] };
    const Orig = window.RTCPeerConnection;
    class Spy extends Orig {
      constructor(config?: RTCConfiguration) {
        super(config);
        this.addEventListener('icecandidate', (e) => {
          if (e.candidate?.candidate) w.__rtc.candidates.push(e.candidate.candidate);
        });
        const keep = () => {
          for (const d of [this.localDescription, this.remoteDescription]) if (d?.sdp) w.__rtc.sdp.push(d.sdp);
        };
        this.addEventListener('signalingstatechange', keep);
        this.addEventListener('icegatheringstatechange', keep);
        this.addEventListener('connectionstatechange', keep);
      }
      override addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
        if (c?.candidate) w.__rtc.candidates.push(c.candidate);
        return super.addIceCandidate(c ?? undefined);
      }
    }
    window.RTCPeerConnection = Spy;
  });
}

export interface SeenWebRTC {
  sdp: string[];
  candidates: string[];
}

export function webrtcSeen(page: Page): Promise<SeenWebRTC> {
  return page.evaluate(() => (window as unknown as { __rtc: SeenWebRTC }).__rtc);
}

/** sha-256 DTLS fingerprints in the SDPs, as the 32 bytes they stand for and as the text. */
export function fingerprints(sdps: string[]): { bytes: Uint8Array; text: string }[] {
  const out = new Map<string, Uint8Array>();
  for (const sdp of sdps)
    for (const m of sdp.matchAll(/a=fingerprint:sha-256 ([0-9A-Fa-f:]{95})/g))
      out.set(
        m[1]!.toUpperCase(),
        Uint8Array.from(m[1]!.split(':'), (h) => parseInt(h, 16)),
      );
  return [...out].map(([text, bytes]) => ({ text, bytes }));
}

/** The identity public key a page stored in IndexedDB. */
export async function identityKey(page: Page): Promise<Uint8Array> {
  const [rec] = await readStore<{ publicKey: Record<number, number> }>(page, 'identity');
  if (!rec) throw new Error('no identity in the page yet');
  return Uint8Array.from(Object.values(rec.publicKey));
}

import { describe, expect, it } from 'vitest';
import { firstLink } from '../../src/app/first-link';
import type { LinkResult, SecureLink } from '../../src/net/link';
import { failure } from '../../src/core/errors';

function fakeLink(name: string, closed: string[]): SecureLink {
  return {
    remotePublicKey: new Uint8Array(32),
    handshakeSecret: new Uint8Array(32),
    send: async () => {},
    onMessage: () => () => {},
    onClose: () => () => {},
    close: async () => {
      closed.push(name);
    },
  } as unknown as SecureLink;
}

/** An attempt that settles after `ms` with `result`, or with LINK_ABORTED when aborted first. */
function attempt(ms: number, result: () => LinkResult, log: string[], name: string) {
  return (signal: AbortSignal) =>
    new Promise<LinkResult>((resolve) => {
      let settled = false;
      const t = setTimeout(() => {
        settled = true;
        log.push(`${name} done`);
        resolve(result());
      }, ms);
      signal.addEventListener('abort', () => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        log.push(`${name} aborted`);
        resolve(failure('LINK_ABORTED', 'client', 'rendezvous', 'aborted'));
      });
    });
}

describe('firstLink', () => {
  it('returns the first link and aborts the attempts still running', async () => {
    const log: string[] = [],
      closed: string[] = [];
    const link = fakeLink('a', closed);
    const r = await firstLink(
      [
        attempt(5, () => ({ ok: true, link }), log, 'a'),
        attempt(5_000, () => failure('LINK_TIMEOUT', 'client', 'rendezvous', 'late'), log, 'b'),
      ],
      new AbortController().signal,
    );
    expect(r.ok && r.link).toBe(link);
    expect(log).toEqual(['a done', 'b aborted']);
    expect(closed).toEqual([]);
  });

  it('closes a second link that finished in the same moment', async () => {
    const closed: string[] = [];
    const a = fakeLink('a', closed),
      b = fakeLink('b', closed);
    const r = await firstLink(
      [async () => ({ ok: true, link: a }), async () => ({ ok: true, link: b })],
      new AbortController().signal,
    );
    expect(r.ok && r.link).toBe(a);
    expect(closed).toEqual(['b']);
  });

  it('with no link, reports a handshake failure ahead of a timeout', async () => {
    const log: string[] = [];
    const r = await firstLink(
      [
        attempt(1, () => failure('LINK_TIMEOUT', 'client', 'rendezvous', 'nobody'), log, 'a'),
        attempt(2, () => failure('LINK_HANDSHAKE_FAILED', 'client', 'handshake', 'mitm'), log, 'b'),
      ],
      new AbortController().signal,
    );
    expect(!r.ok && r.code).toBe('LINK_HANDSHAKE_FAILED');
  });

  it('the outer signal aborts every attempt', async () => {
    const log: string[] = [];
    const outer = new AbortController();
    const p = firstLink(
      [
        attempt(5_000, () => failure('LINK_TIMEOUT', 'client', 'x', 'x'), log, 'a'),
        attempt(5_000, () => failure('LINK_TIMEOUT', 'client', 'x', 'x'), log, 'b'),
      ],
      outer.signal,
    );
    outer.abort();
    const r = await p;
    expect(!r.ok && r.code).toBe('LINK_ABORTED');
    expect(log.sort()).toEqual(['a aborted', 'b aborted']);
  });
});

describe('firstLink: which failure it reports', () => {
  const at =
    (code: Parameters<typeof failure>[0], step: string, extra: object = {}) =>
    () =>
      ({ ...failure(code, 'client', step, code), ...extra }) as LinkResult;

  it('"met but no route" (a timeout while ICE tried, or the peer giving up after its WebRTC failed) over "nobody came"', async () => {
    const log: string[] = [];
    for (const noRoute of [
      at('LINK_TIMEOUT', 'webrtc'),
      at('LINK_CLOSED', 'webrtc', { peerCode: 'LINK_WEBRTC_FAILED' }),
      at('LINK_WEBRTC_FAILED', 'webrtc'),
    ]) {
      const nobody = at('LINK_TIMEOUT', 'rendezvous');
      for (const order of [
        [nobody, noRoute],
        [noRoute, nobody],
      ]) {
        const r = await firstLink(
          order.map((res, i) => attempt(5 + i, res, log, `${i}`)),
          new AbortController().signal,
        );
        expect(r.ok).toBe(false);
        expect(!r.ok && r).toEqual(noRoute());
      }
    }
  });

  it('tampering still comes first', async () => {
    const r = await firstLink(
      [
        attempt(5, at('LINK_WEBRTC_FAILED', 'webrtc'), [], 'a'),
        attempt(6, at('LINK_HANDSHAKE_FAILED', 'msg2'), [], 'b'),
      ],
      new AbortController().signal,
    );
    expect(!r.ok && r.code).toBe('LINK_HANDSHAKE_FAILED');
  });
});

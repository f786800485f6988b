/**
 * FramedLink's receive path over real FrameChannels (the data channel below it is a stand-in
 * that records what is sent): frames are opened as they arrive, delivered in order, and a
 * tampered frame still closes the link with nothing after it delivered.
 */
import { describe, expect, it } from 'vitest';
import { FramedLink } from '../../src/net/secure-link';
import { encodeWire, type WireMessage } from '../../src/core/wire';
import type { DataPeer } from '../../src/net/peer';
import { confirmedPair } from '../support/frame-pair';

/** The few DataPeer members FramedLink uses; nothing is sent anywhere. */
function quietPeer(): DataPeer {
  return {
    bufferedAmount: 0,
    send: () => {},
    destroy: () => {},
    drain: () => Promise.resolve(),
  } as unknown as DataPeer;
}

const chunk = (i: number): WireMessage => ({ type: 'transfer', data: new Uint8Array(200_000).fill(i + 1) });

async function receiving() {
  const { a, b } = await confirmedPair('webcrypto');
  let opens = 0;
  const open = b.open.bind(b);
  b.open = (f: Uint8Array) => {
    opens++;
    return open(f);
  };
  const link = new FramedLink(quietPeer(), b, new Uint8Array(32), new Uint8Array(32), null);
  return { a, link, opens: () => opens };
}

describe('FramedLink receive', () => {
  it('starts opening every frame on arrival (WebCrypto works on several at once) and delivers them in order', async () => {
    const { a, link, opens } = await receiving();
    const frames = await Promise.all(Array.from({ length: 8 }, (_, i) => a.seal(encodeWire(chunk(i)))));
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      link.onMessage((m) => {
        if (m.type === 'transfer') got.push(m.data[0]!);
        if (got.length === 8) resolve();
      }),
    );
    for (const f of frames) link.receive(f);
    // Serialised opening would have started none (or one) of them by now.
    expect(opens()).toBe(8);
    await all;
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a tampered frame among them closes the link; the frames before it are delivered, none after', async () => {
    const { a, link } = await receiving();
    const frames = await Promise.all(Array.from({ length: 6 }, (_, i) => a.seal(encodeWire(chunk(i)))));
    frames[3]![100]! ^= 0x01;
    const got: number[] = [];
    link.onMessage((m) => {
      if (m.type === 'transfer') got.push(m.data[0]!);
    });
    const closed = new Promise<{ clean: boolean; code?: string }>((resolve) =>
      link.onClose((e) => resolve({ clean: e.clean, code: e.failure?.code })),
    );
    for (const f of frames) link.receive(f);
    expect(await closed).toEqual({ clean: false, code: 'FRAME_TAMPERED' });
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([1, 2, 3]);
    expect(link.closed).toBe(true);
  });

  it('a listener that throws does not stop later messages or the close event', async () => {
    const { a, link } = await receiving();
    const got: number[] = [];
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...x: unknown[]) => {
      errors.push(x);
    };
    try {
      link.onMessage((m) => {
        if (m.type === 'transfer') {
          got.push(m.data[0]!);
          if (m.data[0] === 1) throw new Error('listener bug');
        }
      });
      const closed = new Promise<boolean>((resolve) => link.onClose((e) => resolve(e.clean)));
      for (let i = 0; i < 3; i++) link.receive(await a.seal(encodeWire(chunk(i))));
      link.receive(await a.goodbye());
      link.transportClosed();
      // Without the guard the chain stops at the throw and the close never comes.
      expect(
        await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('no close event'), 5000))]),
      ).toBe(true);
      expect(got).toEqual([1, 2, 3]);
      expect(errors).toHaveLength(1);
    } finally {
      console.error = log;
    }
  });
});

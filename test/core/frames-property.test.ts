/**
 * Property tests (contributing.md: every parser gets round-trip and flipped-bit properties):
 * random payloads round-trip; random bytes and every single flipped bit of real frames are
 * rejected with a typed Failure, never an exception or a hang.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  FRAME_OVERHEAD,
  FrameChannel,
  MAX_FRAME_SIZE,
  type FrameErrorCode,
  type FrameResult,
} from '../../src/core/frames';
import { confirmedPair, mirroredKeys, pair } from '../support/frame-pair';

const CODES: FrameErrorCode[] = [
  'FRAME_MALFORMED',
  'FRAME_TOO_LARGE',
  'FRAME_TAMPERED',
  'FRAME_REFLECTED',
  'FRAME_REPLAYED',
  'FRAME_OUT_OF_ORDER',
  'FRAME_BEFORE_CONFIRMATION',
  'FRAME_AFTER_GOODBYE',
  'FRAME_TRUNCATED',
];

function expectTypedFailure(r: FrameResult) {
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(CODES).toContain(r.code);
    expect(r.side).toBe('receiver');
    expect(r.message.length).toBeGreaterThan(20);
  }
}

describe.each(['webcrypto', 'noble'] as const)('frames properties (%s)', (backend) => {
  it('random payloads round-trip in order', async () => {
    const { a, b } = await confirmedPair(backend);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), async (payloads) => {
        const frames = await Promise.all(payloads.map((p) => a.seal(p)));
        for (const [i, f] of frames.entries()) {
          expect(f.length).toBe(payloads[i]!.length + FRAME_OVERHEAD);
          expect(await b.open(f)).toEqual({ ok: true, kind: 'data', payload: payloads[i] });
        }
      }),
      { numRuns: 60 },
    );
  });
  it('random bytes are a typed Failure, as the first frame and after confirmation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (junk, confirmed) => {
        const { b } = confirmed ? await confirmedPair(backend) : await pair(backend);
        expectTypedFailure(await b.open(junk));
      }),
      { numRuns: 150 },
    );
  });
  it('random bytes with a valid-looking header are a typed Failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.nat(),
        fc.uint8Array({ minLength: 16, maxLength: 400 }),
        async (type, counter, rest) => {
          const { b } = await confirmedPair(backend);
          const f = new Uint8Array(6 + rest.length);
          f.set([1, type]);
          new DataView(f.buffer).setUint32(2, counter % 2 ** 32);
          f.set(rest, 6);
          expectTypedFailure(await b.open(f));
        },
      ),
      { numRuns: 100 },
    );
  });
  it('oversized junk is FRAME_TOO_LARGE', async () => {
    const { b } = await confirmedPair(backend);
    const r = await b.open(new Uint8Array(MAX_FRAME_SIZE + 1 + 1000));
    expect(!r.ok && r.code).toBe('FRAME_TOO_LARGE');
  });
  it('random payload, random flipped bit: always a typed Failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.nat(), async (payload, bitSeed) => {
        const { a, b } = await confirmedPair(backend);
        const f = (await a.seal(payload)).slice();
        const bit = bitSeed % (f.length * 8);
        f[bit >> 3]! ^= 1 << (bit & 7);
        expectTypedFailure(await b.open(f));
      }),
      { numRuns: 100 },
    );
  });
});

describe('every single flipped bit is rejected (exhaustive)', () => {
  it.each(['webcrypto', 'noble'] as const)(
    '%s: each bit of a key confirmation and of a data frame',
    async (backend) => {
      const seen = new Set<string>();
      for (const kind of ['confirmation', 'data'] as const) {
        const keys = mirroredKeys();
        const a = await FrameChannel.create(keys.a, { aead: backend });
        const conf = await a.confirmation();
        const frame = kind === 'confirmation' ? conf : await a.seal(new TextEncoder().encode('flip me'));
        for (let bit = 0; bit < frame.length * 8; bit++) {
          const b = await FrameChannel.create(keys.b, { aead: backend }); // a fresh receiver each time
          if (kind === 'data') expect((await b.open(conf)).ok).toBe(true);
          const g = frame.slice();
          g[bit >> 3]! ^= 1 << (bit & 7);
          const r = await b.open(g);
          expectTypedFailure(r);
          if (!r.ok) seen.add(r.code);
        }
      }
      // Version-byte flips are MALFORMED; everything else fails authentication.
      expect([...seen].sort()).toEqual(['FRAME_MALFORMED', 'FRAME_TAMPERED']);
    },
  );
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { equalBytes } from '@noble/ciphers/utils.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import vectors from '../vectors/transfer-messages.json';
import {
  chooseChunkSize,
  decodeTransfer,
  encodeTransfer,
  fileNameProblem,
  MAX_CHUNK_SIZE,
  MAX_CHUNKS,
  type FileOffer,
  type TransferMessage,
  type TransferMessageOf,
} from '../../src/core/transfer-codec';

const id = fc.uint8Array({ minLength: 16, maxLength: 16 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const name = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => fileNameProblem(s) === null);
const fileOffer: fc.Arbitrary<FileOffer> = fc
  .record({
    name,
    type: fc.constantFrom('', 'image/png', 'application/octet-stream', 'text/plain; charset=utf-8'),
    chunkSize: fc.integer({ min: 16, max: 4080 }).map((k) => k * 64),
    size: fc.oneof(fc.integer({ min: 0, max: 1 << 30 }), fc.constant(2 ** 40 + 3)),
  })
  .map((f) => ({ ...f, size: Math.min(f.size, f.chunkSize * MAX_CHUNKS) }));
const ascending = (max: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max }), { maxLength: 20 }).map((a) => a.sort((x, y) => x - y));

/** One arbitrary per message type, so that each type gets its own round-trip and bit-flip property. */
const messageOf: { [T in TransferMessage['type']]: fc.Arbitrary<TransferMessageOf<T>> } = {
  offer: fc.record({
    type: fc.constant('offer' as const),
    id,
    files: fc.array(fileOffer, { minLength: 1, maxLength: 4 }),
  }),
  accept: fc.record({ type: fc.constant('accept' as const), id, windowBytes: u32, files: ascending(0xffff) }),
  decline: fc.record({
    type: fc.constant('decline' as const),
    id,
    reason: fc.constantFrom('user' as const, 'too-large' as const, 'busy' as const),
  }),
  digest: fc.record({ type: fc.constant('digest' as const), id, file: u16, sha256: hash }),
  chunk: fc.record({
    type: fc.constant('chunk' as const),
    id,
    file: u16,
    index: u32,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
  ack: fc.record({ type: fc.constant('ack' as const), id, file: u16, verified: u32 }),
  nack: fc.record({
    type: fc.constant('nack' as const),
    id,
    file: u16,
    index: u32,
    reason: fc.constantFrom('refused' as const, 'length' as const),
  }),
  cancel: fc.record({
    type: fc.constant('cancel' as const),
    id,
    reason: fc.constantFrom('user' as const, 'integrity' as const, 'error' as const, 'timeout' as const),
  }),
  resume: fc.record({
    type: fc.constant('resume' as const),
    id,
    files: ascending(0xffff).chain((fs) =>
      fc.tuple(...fs.map((f) => fc.record({ file: fc.constant(f), verified: u32 }))),
    ),
  }),
  complete: fc.record({ type: fc.constant('complete' as const), id }),
};
const messageTypes = Object.keys(messageOf) as TransferMessage['type'][];
export const transferMessage: fc.Arbitrary<TransferMessage> = fc.oneof(
  ...messageTypes.map((t) => messageOf[t] as fc.Arbitrary<TransferMessage>),
);

const fromJson = (v: unknown): unknown =>
  v && typeof v === 'object' && 'hex' in v
    ? hexToBytes((v as { hex: string }).hex)
    : Array.isArray(v)
      ? v.map(fromJson)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]))
        : v;

describe('transfer codec', () => {
  it('matches the test vectors (test/vectors/transfer-messages.json)', () => {
    expect(vectors.vectors.length).toBe(10);
    for (const v of vectors.vectors) {
      const m = fromJson(v.message) as TransferMessage;
      expect(bytesToHex(encodeTransfer(m)), v.description).toBe(v.encoded);
      const d = decodeTransfer(hexToBytes(v.encoded), 'receiver');
      expect(d.ok && d.message, v.description).toEqual(m);
    }
  });

  it.each(messageTypes)('round-trips every %s message', (type) => {
    fc.assert(
      fc.property(messageOf[type], (m: TransferMessage) => {
        const bytes = encodeTransfer(m);
        const d = decodeTransfer(bytes, 'receiver');
        expect(d.ok).toBe(true);
        if (d.ok) {
          expect(d.message).toEqual(m);
          expect(encodeTransfer(d.message)).toEqual(bytes);
        }
      }),
      { numRuns: 100 },
    );
  });

  it.each(messageTypes)('every flipped bit of a %s message is rejected or decodes to a different message', (type) => {
    fc.assert(
      fc.property(messageOf[type], (m: TransferMessage) => {
        const bytes = encodeTransfer(m);
        const wrong: string[] = [];
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          const flipped = bytes.slice();
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          const d = decodeTransfer(flipped, 'receiver');
          // Re-encoding to the flipped bytes (not to `bytes`) also shows the message differs from m.
          if (d.ok ? !equalBytes(encodeTransfer(d.message), flipped) : d.code === 'TRANSFER_TOO_LARGE')
            wrong.push(`bit ${bit}: ${d.ok ? `decodes to a ${d.message.type} that re-encodes differently` : d.code}`);
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('truncated or extended messages are rejected with a typed failure', () => {
    fc.assert(
      fc.property(transferMessage, fc.nat(), (m, cut) => {
        const bytes = encodeTransfer(m);
        if (m.type !== 'chunk') {
          const d = decodeTransfer(bytes.subarray(0, cut % bytes.length), 'sender');
          expect(d.ok ? 'ok' : d.code).toBe('TRANSFER_MALFORMED');
          const longer = new Uint8Array(bytes.length + 1);
          longer.set(bytes);
          const e = decodeTransfer(longer, 'sender');
          expect(e.ok ? 'ok' : e.code).toBe('TRANSFER_MALFORMED');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a chunk carries 1..MAX_CHUNK_SIZE bytes: both ends round-trip, 0 and one more are refused', () => {
    const chunk = (n: number): TransferMessage => ({
      type: 'chunk',
      id: new Uint8Array(16).fill(9),
      file: 3,
      index: 7,
      bytes: new Uint8Array(n).map((_, i) => i * 31),
    });
    for (const n of [1, MAX_CHUNK_SIZE]) {
      const m = chunk(n) as TransferMessageOf<'chunk'>;
      const d = decodeTransfer(encodeTransfer(m), 'receiver');
      const got = d.ok && d.message.type === 'chunk' ? d.message : undefined;
      expect({ ...got, bytes: undefined }, `${n} bytes`).toEqual({ ...m, bytes: undefined });
      expect(got && equalBytes(got.bytes, m.bytes), `${n} bytes`).toBe(true); // toEqual on 255 KiB is slow
    }
    for (const n of [0, MAX_CHUNK_SIZE + 1]) {
      expect(() => encodeTransfer(chunk(n)), `${n} bytes`).toThrow(/m.bytes/);
      const bytes = new Uint8Array(24 + n);
      bytes.set(encodeTransfer(chunk(1)).subarray(0, 24));
      const d = decodeTransfer(bytes, 'receiver');
      expect(d.ok ? 'ok' : `${d.code} ${d.message}`).toMatch(new RegExp(`TRANSFER_MALFORMED .*chunk of ${n} bytes`));
    }
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const d = decodeTransfer(b, 'sender');
        if (d.ok) expect(encodeTransfer(d.message)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('chooseChunkSize keeps every file within MAX_CHUNKS chunks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_CHUNKS * MAX_CHUNK_SIZE }), (size) => {
        const c = chooseChunkSize(size, 65472);
        expect(c % 64).toBe(0);
        expect(Math.ceil(size / c)).toBeLessThanOrEqual(MAX_CHUNKS);
        expect(c).toBeLessThanOrEqual(MAX_CHUNK_SIZE);
      }),
    );
    expect(chooseChunkSize(1000, 65472)).toBe(65472);
    expect(() => chooseChunkSize(MAX_CHUNKS * MAX_CHUNK_SIZE + 1, 65472)).toThrow(/size/);
    const tooMany = {
      name: 'a',
      type: '',
      size: MAX_CHUNKS * 1024 + 1,
      chunkSize: 1024,
    };
    expect(() => encodeTransfer({ type: 'offer', id: new Uint8Array(16), files: [tooMany] })).toThrow(/chunks/);
  });

  it('rejects unsafe names, oversize messages and bad sizes', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\u0000b', 'x'.repeat(256)])
      expect(fileNameProblem(bad), bad).not.toBeNull();
    expect(fileNameProblem('résumé (1).pdf')).toBeNull();
    const big = decodeTransfer(new Uint8Array(262145), 'receiver');
    expect(big.ok ? 'ok' : big.code).toBe('TRANSFER_TOO_LARGE');
    expect(() =>
      encodeTransfer({ type: 'digest', id: new Uint8Array(16), file: 0, sha256: new Uint8Array(31) }),
    ).toThrow(/m.sha256/);
    expect(() => encodeTransfer({ type: 'ack', id: new Uint8Array(15), file: 0, verified: 0 })).toThrow(/m.id/);
    const offer = encodeTransfer({
      type: 'offer',
      id: new Uint8Array(16),
      files: [{ name: 'a', type: '', size: 5, chunkSize: 1024 }],
    });
    const tooBig = offer.slice();
    tooBig[18 + 2 + 1 + 1 + 1] = 0xff; // size high byte → above 2^53
    const d = decodeTransfer(tooBig, 'receiver');
    expect(d.ok ? 'ok' : d.code).toBe('TRANSFER_MALFORMED');
  });
});

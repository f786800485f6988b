import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

export const transferMessage: fc.Arbitrary<TransferMessage> = fc.oneof(
  fc.record({ type: fc.constant('offer' as const), id, files: fc.array(fileOffer, { minLength: 1, maxLength: 4 }) }),
  fc.record({ type: fc.constant('accept' as const), id, windowBytes: u32, files: ascending(0xffff) }),
  fc.record({
    type: fc.constant('decline' as const),
    id,
    reason: fc.constantFrom('user' as const, 'too-large' as const, 'busy' as const),
  }),
  fc.record({ type: fc.constant('digest' as const), id, file: u16, sha256: hash }),
  fc.record({
    type: fc.constant('chunk' as const),
    id,
    file: u16,
    index: u32,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  }),
  fc.record({ type: fc.constant('ack' as const), id, file: u16, verified: u32 }),
  fc.record({
    type: fc.constant('nack' as const),
    id,
    file: u16,
    index: u32,
    reason: fc.constantFrom('refused' as const, 'length' as const),
  }),
  fc.record({
    type: fc.constant('cancel' as const),
    id,
    reason: fc.constantFrom('user' as const, 'integrity' as const, 'error' as const, 'timeout' as const),
  }),
  fc.record({
    type: fc.constant('resume' as const),
    id,
    files: ascending(0xffff).chain((fs) =>
      fc.tuple(...fs.map((f) => fc.record({ file: fc.constant(f), verified: u32 }))),
    ),
  }),
  fc.record({ type: fc.constant('complete' as const), id }),
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

  it('round-trips every message', () => {
    fc.assert(
      fc.property(transferMessage, (m) => {
        const bytes = encodeTransfer(m);
        const d = decodeTransfer(bytes, 'receiver');
        expect(d.ok).toBe(true);
        if (d.ok) {
          expect(d.message).toEqual(m);
          expect(encodeTransfer(d.message)).toEqual(bytes);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a flipped bit is rejected or decodes to a different message (canonical encoding)', () => {
    fc.assert(
      fc.property(transferMessage, fc.nat(), fc.integer({ min: 0, max: 7 }), (m, pos, bit) => {
        const bytes = encodeTransfer(m);
        const flipped = bytes.slice();
        flipped[pos % bytes.length]! ^= 1 << bit;
        const d = decodeTransfer(flipped, 'receiver');
        if (d.ok) {
          expect(d.message).not.toEqual(m);
          expect(encodeTransfer(d.message)).toEqual(flipped);
        } else expect(['TRANSFER_MALFORMED', 'TRANSFER_VERSION']).toContain(d.code);
      }),
      { numRuns: 1000 },
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

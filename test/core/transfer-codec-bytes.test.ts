import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteReader, ByteWriter } from '../../src/core/transfer-codec-bytes';

type Width = 'u8' | 'u16' | 'u32' | 'u64';
const maxOf: Record<Width, number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff, u64: Number.MAX_SAFE_INTEGER };
const sizeOf: Record<Width, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };
const field = fc
  .constantFrom<Width>('u8', 'u16', 'u32', 'u64')
  .chain((w) =>
    fc.tuple(fc.constant(w), fc.oneof(fc.integer({ min: 0, max: maxOf[w] }), fc.constantFrom(0, maxOf[w]))),
  );

describe('transfer codec byte primitives (docs/files.md §1: unsigned big-endian)', () => {
  it('reads back what was written, field by field, past the first buffer growth', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 60 }), fc.uint8Array({ maxLength: 100 }), (fields, tail) => {
        const w = new ByteWriter();
        for (const [width, v] of fields) w[width](v);
        w.bytes(tail);
        const out = w.finish();
        expect(out.length).toBe(fields.reduce((n, [width]) => n + sizeOf[width], 0) + tail.length);
        const r = new ByteReader(out, 0);
        for (const [width, v] of fields) expect(r[width]()).toBe(v);
        expect(r.rest()).toEqual(tail);
        expect(r.done()).toBe(true);
      }),
    );
  });

  it('writes big-endian', () => {
    const w = new ByteWriter();
    w.u16(0x0102);
    w.u32(0x03040506);
    w.u64(2 ** 32 + 7);
    expect([...w.finish()]).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 0, 0, 0, 7]);
  });

  it('the writer refuses values its field cannot hold, naming the field', () => {
    const w = new ByteWriter();
    expect(() => w.u8(256)).toThrow(/u8: 256 out of range/);
    expect(() => w.u16(-1)).toThrow(/u16: -1 out of range/);
    expect(() => w.u32(2 ** 32)).toThrow(/u32: 4294967296 out of range/);
    expect(() => w.u32(1.5)).toThrow(RangeError);
    expect(() => w.u64(2 ** 53)).toThrow(/u64: .* not a safe non-negative integer/);
    expect(w.finish().length).toBe(0);
  });

  it('the reader throws RangeError when the bytes run out or a u64 exceeds 2^53-1', () => {
    const r = new ByteReader(new Uint8Array([1, 2, 3]), 1);
    expect(() => r.u32()).toThrow(/truncated: need 4 bytes at offset 1, have 2/);
    expect(r.u16()).toBe(0x0203);
    expect(r.done()).toBe(true);
    expect(() => r.bytes(1)).toThrow(RangeError);
    const big = new Uint8Array([0, 0x20, 0, 0, 0, 0, 0, 0]); // 2^53
    expect(() => new ByteReader(big, 0).u64()).toThrow(/above 2\^53-1/);
    const max = new Uint8Array([0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(new ByteReader(max, 0).u64()).toBe(Number.MAX_SAFE_INTEGER);
  });
});

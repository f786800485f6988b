/**
 * The byte primitives of the file-transfer codec (docs/files.md §1: "Integers are unsigned
 * big-endian"): a growing writer and a bounds-checked reader, shared by the offer and the other
 * message bodies. Both throw RangeError: from the writer it is the encoding side's mistake, from
 * the reader it means the peer's bytes ran out, which `decodeTransfer` returns as
 * TRANSFER_MALFORMED.
 * @module
 */
import type { Failure } from './errors';

/** Makes the TRANSFER_MALFORMED failure of one decode (docs/files.md §1, "Validation on decode"). */
export type Malformed = (why: string) => Failure<'TRANSFER_MALFORMED'>;

/** Appends big-endian unsigned integers and raw bytes to a buffer that grows as needed (docs/files.md §1). */
export class ByteWriter {
  private buf = new Uint8Array(64);
  private len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): void {
    this.uint(v, 1);
  }
  u16(v: number): void {
    this.uint(v, 2);
  }
  u32(v: number): void {
    this.uint(v, 4);
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64: ${v} is not a safe non-negative integer`);
    this.uint(Math.floor(v / 2 ** 32), 4);
    this.uint(v % 2 ** 32, 4);
  }
  private uint(v: number, n: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * n)) throw new RangeError(`u${8 * n}: ${v} out of range`);
    this.room(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.len + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.len += n;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  finish(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

/**
 * Reads big-endian unsigned integers and byte runs from `b`, starting at `pos` (docs/files.md §1);
 * throws RangeError when the bytes run out or a u64 exceeds 2^53−1. `bytes` and `rest` return views
 * into `b`, not copies.
 */
export class ByteReader {
  constructor(
    private readonly b: Uint8Array,
    public pos: number,
  ) {}
  private take(n: number): Uint8Array {
    if (this.pos + n > this.b.length)
      throw new RangeError(`truncated: need ${n} bytes at offset ${this.pos}, have ${this.b.length - this.pos}`);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private uint(n: number): number {
    let v = 0;
    for (const x of this.take(n)) v = v * 256 + x;
    return v;
  }
  u8(): number {
    return this.uint(1);
  }
  u16(): number {
    return this.uint(2);
  }
  u32(): number {
    return this.uint(4);
  }
  u64(): number {
    const hi = this.uint(4),
      lo = this.uint(4);
    if (hi > 0x1fffff) throw new RangeError('size above 2^53-1');
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number): Uint8Array {
    return this.take(n);
  }
  rest(): Uint8Array {
    return this.take(this.b.length - this.pos);
  }
  done(): boolean {
    return this.pos === this.b.length;
  }
}

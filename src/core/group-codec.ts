/**
 * A fixed-schema binary codec: a message is a list of fields, each of a known kind, written one
 * after the other. The group messages (`group-wire.ts`, docs/groups.md §2) are described as such
 * schemas so that one table walk encodes and one decodes them, and the two cannot drift apart.
 *
 * Kinds: `fixed` (exactly `len` bytes), `uint` (big-endian, 1/4/6/8 bytes; 8-byte values must be
 * safe integers), `str` (u8 length ‖ UTF-8, checked by `check`), `enum` (u8 = index + 1), `array`
 * (u8 count 1..max ‖ items), `text` (the rest of the message, UTF-8).
 * @module
 */

/** One field of a schema (docs/groups.md §2). */
export type Field =
  | { n: string; k: 'fixed'; len: number }
  | { n: string; k: 'uint'; width: 1 | 4 | 6 | 8 }
  | { n: string; k: 'str'; min: number; max: number; check: (s: string) => string | null }
  | { n: string; k: 'enum'; values: readonly string[] }
  | { n: string; k: 'array'; max: number; of: Field[] }
  | { n: string; k: 'text' };

/** A field the reader refused: where, and why (docs/groups.md §2). */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly why: string,
    /** Set when an array had more entries than its schema allows. */
    readonly tooMany = false,
  ) {
    super(`${field}: ${why}`);
  }
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Appends the encoding of `rec`'s fields to `parts`. Throws a TypeError/RangeError naming the field (a programmer's mistake). */
export function writeFields(
  parts: Uint8Array[],
  fields: readonly Field[],
  rec: Record<string, unknown>,
  at: string,
): void {
  if (typeof rec !== 'object' || rec === null) throw new TypeError(`${at}: expected an object`);
  for (const f of fields) {
    const v = rec[f.n];
    const where = `${at}.${f.n}`;
    if (f.k === 'fixed') {
      if (!(v instanceof Uint8Array) || v.length !== f.len) throw new TypeError(`${where}: expected ${f.len} bytes`);
      parts.push(v);
    } else if (f.k === 'uint') parts.push(uintBytes(where, v, f.width));
    else if (f.k === 'enum') {
      const i = f.values.indexOf(v as string);
      if (i < 0) throw new TypeError(`${where}: one of ${f.values.join(', ')}`);
      parts.push(Uint8Array.of(i + 1));
    } else if (f.k === 'text') {
      if (typeof v !== 'string' || /\p{Cs}/u.test(v)) throw new TypeError(`${where}: expected a well-formed string`);
      parts.push(utf8.encode(v));
    } else if (f.k === 'array') {
      if (!Array.isArray(v) || v.length === 0 || v.length > f.max)
        throw new RangeError(`${where}: 1..${f.max} entries`);
      parts.push(Uint8Array.of(v.length));
      v.forEach((item, i) => writeFields(parts, f.of, item as Record<string, unknown>, `${where}[${i}]`));
    } else {
      const problem = strProblem(v, f);
      if (problem) throw new TypeError(`${where}: ${problem}`);
      const bytes = utf8.encode(v as string);
      parts.push(Uint8Array.of(bytes.length), bytes);
    }
  }
}

function strProblem(v: unknown, f: Field & { k: 'str' }): string | null {
  if (typeof v !== 'string' || /\p{Cs}/u.test(v)) return 'not a well-formed string';
  const n = utf8.encode(v).length;
  if (n < f.min || n > f.max) return `${n} UTF-8 bytes, expected ${f.min}..${f.max}`;
  return f.check(v);
}

function uintBytes(where: string, v: unknown, width: 1 | 4 | 6 | 8): Uint8Array {
  const max = width === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * width) - 1;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    throw new RangeError(`${where}: expected an integer in 0..${max}`);
  const out = new Uint8Array(width);
  let x = v;
  for (let i = width - 1; i >= 0; i--, x = Math.floor(x / 256)) out[i] = x % 256;
  return out;
}

/** Concatenates byte arrays. */
export function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads fields from `bytes` at a cursor; throws {@link FieldError} on anything the schema does not allow. */
export class FieldReader {
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
  ) {}

  /** True when every byte was read. */
  get done(): boolean {
    return this.pos === this.bytes.length;
  }

  /** Reads `fields` into a new object. Byte fields are copies, so the result keeps nothing of the input. */
  read(fields: readonly Field[], at: string): Record<string, unknown> {
    const rec: Record<string, unknown> = {};
    for (const f of fields) rec[f.n] = this.one(f, `${at}.${f.n}`);
    return rec;
  }

  private one(f: Field, where: string): unknown {
    switch (f.k) {
      case 'fixed':
        return this.take(f.len, where).slice();
      case 'uint':
        return this.uint(f.width, where);
      case 'enum': {
        const v = f.values[this.take(1, where)[0]! - 1];
        if (v === undefined) throw new FieldError(where, `not one of ${f.values.join(', ')}`);
        return v;
      }
      case 'text':
        return this.utf8(this.take(this.bytes.length - this.pos, where), where);
      case 'array': {
        const count = this.take(1, where)[0]!;
        if (count === 0 || count > f.max)
          throw new FieldError(where, `${count} entries, expected 1..${f.max}`, count > f.max);
        return Array.from({ length: count }, (_, i) => this.read(f.of, `${where}[${i}]`));
      }
      case 'str': {
        const s = this.utf8(this.take(this.take(1, where)[0]!, where), where);
        const problem = strProblem(s, f);
        if (problem) throw new FieldError(where, problem);
        return s;
      }
    }
  }

  private take(n: number, where: string): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new FieldError(where, 'cut short');
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  private uint(width: 1 | 4 | 6 | 8, where: string): number {
    let v = 0;
    for (const x of this.take(width, where)) v = v * 256 + x;
    if (!Number.isSafeInteger(v)) throw new FieldError(where, 'above 2^53 - 1');
    return v;
  }

  private utf8(bytes: Uint8Array, where: string): string {
    try {
      return utf8Strict.decode(bytes);
    } catch {
      throw new FieldError(where, 'not UTF-8');
    }
  }
}

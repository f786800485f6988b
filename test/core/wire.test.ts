import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import vectors from '../vectors/parley-wire.json';
import {
  decodeWire,
  encodeWire,
  MAX_CHAT_TEXT_BYTES,
  MAX_TRANSFER_WIRE_BYTES,
  MAX_WIRE_BYTES,
  TRANSFER_WIRE_OVERHEAD,
  WIRE_TYPE_CODES,
  messageIdOf,
  type WireMessage,
} from '../../src/core/wire';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function fromVector(m: Record<string, unknown>): WireMessage {
  if (m.type === 'transfer' || m.type === 'group') return { ...m, data: hex(m.data as string) } as WireMessage;
  if (m.type === 'features-check') return { type: 'features-check', digest: hex(m.digest as string) };
  return (m.type === 'invite-proof' ? { ...m, proof: hex(m.proof as string) } : m) as WireMessage;
}
function decoded(bytes: Uint8Array): WireMessage {
  const r = decodeWire(bytes);
  if (!r.ok) throw new Error(`expected ok, got ${r.code} at ${r.step}: ${r.message}`);
  return r.message;
}
/** version ‖ type ‖ u32 header length ‖ header ‖ tail, built by hand (independent of the encoder). */
function raw(type: number, header: string | Uint8Array, tail: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const h = Buffer.from(header);
  const prefix = Buffer.alloc(6);
  prefix[0] = version;
  prefix[1] = type;
  prefix.writeUInt32BE(h.length, 2);
  return Uint8Array.from(Buffer.concat([prefix, h, tail]));
}

const arbId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const arbName = fc
  .string({ unit: 'grapheme', maxLength: 16 })
  .filter((s) => !/\p{Cc}/u.test(s) && Buffer.byteLength(s) <= 64);
const arbMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  arbName.map((name) => ({ type: 'hello' as const, name })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((proof) => ({ type: 'invite-proof' as const, proof })),
  fc.boolean().map((accepted) => ({ type: 'invite-result' as const, accepted })),
  fc
    .constantFrom('used', 'expired', 'unknown', 'known-key')
    .map((reason) => ({ type: 'invite-result' as const, accepted: false, reason })),
  fc
    .record({ id: arbId, text: fc.string({ unit: 'grapheme', maxLength: 300 }), sentAt: fc.maxSafeNat() })
    .map((m) => ({ type: 'chat' as const, ...m })),
  arbId.map((id) => ({ type: 'receipt' as const, id })),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((data) => ({ type: 'transfer' as const, data })),
  fc
    .record({
      session: fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined }),
      kemPublicKey: fc.uint8Array({ minLength: 1184, maxLength: 1184 }),
    })
    .map(({ session, kemPublicKey }) =>
      session === undefined
        ? { type: 'session-offer' as const, kemPublicKey }
        : { type: 'session-offer' as const, session, kemPublicKey },
    ),
  fc.uint8Array({ minLength: 1, maxLength: 1400 }).map((data) => ({ type: 'kx' as const, data })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((data) => ({ type: 'ratchet' as const, data })),
  fc
    .record({
      stream: fc.stringMatching(/^[A-Za-z0-9_-]{11}$/),
      base: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    })
    .map((r) => ({ type: 'resume' as const, ...r })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((key) => ({ type: 'file-key' as const, key })),
  fc
    .record({
      version: fc.integer({ min: 2, max: 0xffff }),
      features: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/), { maxLength: 32 }),
    })
    .map(({ version, features }) => ({ type: 'features' as const, version, features: features.sort() })),
  arbId.map((id) => ({ type: 'unsupported' as const, id })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((digest) => ({ type: 'features-check' as const, digest })),
  fc
    .record({ id: arbId, data: fc.uint8Array({ minLength: 1, maxLength: 300 }) })
    .map((m) => ({ type: 'group' as const, ...m })),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((data) => ({ type: 'group' as const, data })),
);

describe('wire: known answers (test/vectors/parley-wire.json)', () => {
  for (const v of vectors.vectors) {
    it(`${v.message.type}${'reason' in v.message ? ` (${v.message.reason})` : ''}`, () => {
      const m = fromVector(v.message);
      expect(toHex(encodeWire(m))).toBe(v.encoded);
      expect(decoded(hex(v.encoded))).toEqual(m);
    });
  }

  it('the transfer vector carries a transfer-codec ack that decodeTransfer reads', async () => {
    const { decodeTransfer } = await import('../../src/core/transfer-codec');
    const m = decoded(hex(vectors.vectors.find((v) => v.message.type === 'transfer')!.encoded));
    if (m.type !== 'transfer') throw new Error('expected a transfer message');
    expect(decodeTransfer(m.data, 'sender')).toMatchObject({
      ok: true,
      message: { type: 'ack', file: 0, verified: 3 },
    });
  });

  it('the chat vector has the documented layout: text raw in the tail', () => {
    const bytes = raw(WIRE_TYPE_CODES.chat, '{"id":"m-0001","sentAt":1800000000123}', Buffer.from('hi "there" ✓\n'));
    expect(toHex(bytes)).toBe(vectors.vectors.find((v) => v.message.type === 'chat')!.encoded);
  });
});

describe('wire: round trips and limits', () => {
  it('round-trips every message (property)', () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        expect(decoded(encodeWire(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('carries a chat text of exactly the cap, and refuses one byte more', () => {
    const text = 'é'.repeat(MAX_CHAT_TEXT_BYTES / 2);
    const m: WireMessage = { type: 'chat', id: 'x'.repeat(64), text, sentAt: Number.MAX_SAFE_INTEGER };
    const bytes = encodeWire(m);
    expect(bytes.length).toBeLessThanOrEqual(MAX_WIRE_BYTES);
    expect(decoded(bytes)).toEqual(m);
    expect(() => encodeWire({ ...m, text: text + 'a' })).toThrow(/chat.text/);
    const over = raw(WIRE_TYPE_CODES.chat, '{"id":"a","sentAt":1}', new Uint8Array(MAX_CHAT_TEXT_BYTES + 1).fill(0x61));
    expect(decodeWire(over)).toMatchObject({ ok: false, code: 'WIRE_TOO_LARGE' });
    const big = new Uint8Array(MAX_WIRE_BYTES + 1);
    big.set([1, WIRE_TYPE_CODES.chat]);
    expect(decodeWire(big)).toMatchObject({ ok: false, code: 'WIRE_TOO_LARGE' });
    expect(decodeWire(new Uint8Array(MAX_TRANSFER_WIRE_BYTES + 1))).toMatchObject({
      ok: false,
      code: 'WIRE_TOO_LARGE',
    });
  });

  it('throws on invalid messages at encode time, naming the field', () => {
    expect(() => encodeWire({ type: 'chat', id: 'bad id', text: '', sentAt: 1 })).toThrow(/chat.id/);
    expect(() => encodeWire({ type: 'chat', id: 'a', text: '', sentAt: -1 })).toThrow(/chat.sentAt/);
    expect(() => encodeWire({ type: 'chat', id: 'a', text: '\ud800', sentAt: 1 })).toThrow(/chat.text/);
    expect(() => encodeWire({ type: 'invite-proof', proof: new Uint8Array(31) })).toThrow(/proof/);
    expect(() => encodeWire({ type: 'hello', name: 'x'.repeat(65) })).toThrow(/hello.name/);
    expect(() => encodeWire({ type: 'invite-result', accepted: false, reason: 'nope' as 'used' })).toThrow(/reason/);
    expect(() => encodeWire({ type: 'nope' } as unknown as WireMessage)).toThrow(/message.type/);
  });
});

describe('wire: transfer messages (docs/protocol-app.md §4, docs/files.md "Glue")', () => {
  it('carries a transfer-codec message raw in the tail behind an 8-byte envelope', () => {
    const data = Uint8Array.of(1, 5, ...new Uint8Array(16).fill(7), 0, 0, 0xab);
    const bytes = encodeWire({ type: 'transfer', data });
    expect(toHex(bytes)).toBe(toHex(raw(0x10, '{}', data)));
    expect(bytes.length).toBe(data.length + TRANSFER_WIRE_OVERHEAD);
    expect(decoded(bytes)).toEqual({ type: 'transfer', data });
  });

  it('a transfer message may fill a whole frame payload (262122 bytes), one byte more is refused', () => {
    const max = new Uint8Array(MAX_TRANSFER_WIRE_BYTES - TRANSFER_WIRE_OVERHEAD).fill(0x5a);
    const bytes = encodeWire({ type: 'transfer', data: max });
    expect(bytes.length).toBe(MAX_TRANSFER_WIRE_BYTES);
    expect(decoded(bytes)).toEqual({ type: 'transfer', data: max });
    expect(() => encodeWire({ type: 'transfer', data: new Uint8Array(max.length + 1) })).toThrow(/at most 262122/);
    expect(() => encodeWire({ type: 'transfer', data: new Uint8Array(0) })).toThrow(/transfer.data/);
  });

  it('the limit is the frame payload of frames.ts', async () => {
    const { MAX_FRAME_PAYLOAD } = await import('../../src/core/frames');
    expect(MAX_TRANSFER_WIRE_BYTES).toBe(MAX_FRAME_PAYLOAD);
  });
});

describe('wire: malformed input gets typed failures', () => {
  const cases: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'WIRE_MALFORMED'],
    ['version 2', raw(1, '{"name":"a"}', undefined, 2), 'WIRE_VERSION'],
    ['version 0', raw(1, '{"name":"a"}', undefined, 0), 'WIRE_VERSION'],
    ['unknown type', raw(0x7f, '{}'), 'WIRE_MALFORMED'],
    ['cut before header length', Uint8Array.of(1, 1, 0), 'WIRE_MALFORMED'],
    ['header past the end', raw(1, '{"name":"a"}').subarray(0, 10), 'WIRE_MALFORMED'],
    ['header not JSON', raw(1, '{name:"a"}'), 'WIRE_MALFORMED'],
    ['header an array', raw(1, '["a"]'), 'WIRE_MALFORMED'],
    [
      'header invalid UTF-8',
      raw(1, Buffer.concat([Buffer.from('{"name":"'), Buffer.of(0xff), Buffer.from('"}')])),
      'WIRE_MALFORMED',
    ],
    ['hello without name', raw(1, '{}'), 'WIRE_MALFORMED'],
    ['hello name a number', raw(1, '{"name":5}'), 'WIRE_MALFORMED'],
    ['hello name too long', raw(1, `{"name":"${'x'.repeat(65)}"}`), 'WIRE_MALFORMED'],
    ['hello name with a control character', raw(1, '{"name":"a\\u0007"}'), 'WIRE_MALFORMED'],
    ['hello with a tail', raw(1, '{"name":"a"}', Uint8Array.of(1)), 'WIRE_MALFORMED'],
    ['hello with an extra field', raw(1, '{"name":"a","admin":true}'), 'WIRE_MALFORMED'],
    ['proof of 31 bytes', raw(2, '{}', new Uint8Array(31)), 'WIRE_MALFORMED'],
    ['proof of 33 bytes', raw(2, '{}', new Uint8Array(33)), 'WIRE_MALFORMED'],
    ['accepted a string', raw(3, '{"accepted":"yes"}'), 'WIRE_MALFORMED'],
    ['unknown reason', raw(3, '{"accepted":false,"reason":"bored"}'), 'WIRE_MALFORMED'],
    ['fields reordered', raw(3, '{"reason":"used","accepted":false}'), 'WIRE_MALFORMED'],
    ['chat id missing', raw(4, '{"sentAt":1}', Buffer.from('hi')), 'WIRE_MALFORMED'],
    ['chat id too long', raw(4, `{"id":"${'a'.repeat(65)}","sentAt":1}`), 'WIRE_MALFORMED'],
    ['chat sentAt fractional', raw(4, '{"id":"a","sentAt":1.5}'), 'WIRE_MALFORMED'],
    ['chat sentAt negative', raw(4, '{"id":"a","sentAt":-1}'), 'WIRE_MALFORMED'],
    ['chat sentAt unsafe', raw(4, '{"id":"a","sentAt":9007199254740993}'), 'WIRE_MALFORMED'],
    ['chat sentAt as string', raw(4, '{"id":"a","sentAt":"1"}'), 'WIRE_MALFORMED'],
    ['chat text invalid UTF-8', raw(4, '{"id":"a","sentAt":1}', Uint8Array.of(0xc3, 0x28)), 'WIRE_MALFORMED'],
    ['chat with white space in JSON', raw(4, '{"id":"a", "sentAt":1}'), 'WIRE_MALFORMED'],
    ['chat with an escaped id', raw(4, '{"id":"\\u0061","sentAt":1}'), 'WIRE_MALFORMED'],
    ['receipt id empty', raw(5, '{"id":""}'), 'WIRE_MALFORMED'],
    ['transfer without data', raw(0x10, '{}'), 'WIRE_MALFORMED'],
    ['transfer with a header field', raw(0x10, '{"file":1}', Uint8Array.of(1)), 'WIRE_MALFORMED'],
    ['transfer with white space in its header', raw(0x10, '{ }', Uint8Array.of(1)), 'WIRE_MALFORMED'],
    ['session-offer with a short KEM key', raw(6, '{}', new Uint8Array(1183)), 'WIRE_MALFORMED'],
    [
      'session-offer with an upper-case session id',
      raw(6, `{"session":"${'A'.repeat(64)}"}`, new Uint8Array(1184)),
      'WIRE_MALFORMED',
    ],
    ['session-offer with an empty session id', raw(6, '{"session":""}', new Uint8Array(1184)), 'WIRE_MALFORMED'],
    ['session-offer with an extra field', raw(6, '{"reset":true}', new Uint8Array(1184)), 'WIRE_MALFORMED'],
    ['kx without data', raw(7, '{}'), 'WIRE_MALFORMED'],
    ['kx over 4 KiB', raw(7, '{}', new Uint8Array(4097)), 'WIRE_MALFORMED'],
    ['ratchet without data', raw(8, '{}'), 'WIRE_MALFORMED'],
    ['resume with base 0', raw(9, '{"stream":"AAAAAAAAAAA","base":0}'), 'WIRE_MALFORMED'],
    ['resume with a 10-character stream', raw(9, '{"stream":"AAAAAAAAAA","base":1}'), 'WIRE_MALFORMED'],
    ['resume with a tail', raw(9, '{"stream":"AAAAAAAAAAA","base":1}', Uint8Array.of(1)), 'WIRE_MALFORMED'],
    ['features with version 1 (version 1 sends none)', raw(0x51, '{"version":1,"features":[]}'), 'WIRE_MALFORMED'],
    ['features with a fractional version', raw(0x51, '{"version":2.5,"features":[]}'), 'WIRE_MALFORMED'],
    ['features unsorted', raw(0x51, '{"version":2,"features":["groups","file-key"]}'), 'WIRE_MALFORMED'],
    ['features repeated', raw(0x51, '{"version":2,"features":["groups","groups"]}'), 'WIRE_MALFORMED'],
    ['features with an upper-case name', raw(0x51, '{"version":2,"features":["Groups"]}'), 'WIRE_MALFORMED'],
    ['features not an array', raw(0x51, '{"version":2,"features":"groups"}'), 'WIRE_MALFORMED'],
    [
      'features with 33 names',
      raw(
        0x51,
        JSON.stringify({
          version: 2,
          features: Array.from({ length: 33 }, (_, i) => `f${String(i).padStart(2, '0')}`),
        }),
      ),
      'WIRE_MALFORMED',
    ],
    ['features in another field order', raw(0x51, '{"features":[],"version":2}'), 'WIRE_MALFORMED'],
    ['features with a tail', raw(0x51, '{"version":2,"features":[]}', Uint8Array.of(1)), 'WIRE_MALFORMED'],
    ['unsupported without id', raw(0x56, '{}'), 'WIRE_MALFORMED'],
    ['features-check of 31 bytes', raw(0x5a, '{}', new Uint8Array(31)), 'WIRE_MALFORMED'],
    ['group without its bytes', raw(0x3c, '{"id":"a"}'), 'WIRE_MALFORMED'],
    ['group with a bad id', raw(0x3c, '{"id":"a b"}', Buffer.from('hi')), 'WIRE_MALFORMED'],
    ['file-key with a 31-byte key', raw(0x13, '{}', new Uint8Array(31)), 'WIRE_MALFORMED'],
    ['file-key with a 33-byte key', raw(0x13, '{}', new Uint8Array(33)), 'WIRE_MALFORMED'],
    ['file-key with a header field', raw(0x13, '{"v":1}', new Uint8Array(32)), 'WIRE_MALFORMED'],
    [
      'chat over 64 KiB (only transfer may be larger)',
      raw(4, '{"id":"a","sentAt":1}', new Uint8Array(MAX_WIRE_BYTES)),
      'WIRE_TOO_LARGE',
    ],
    ['transfer over a frame payload', raw(0x10, '{}', new Uint8Array(MAX_TRANSFER_WIRE_BYTES - 7)), 'WIRE_TOO_LARGE'],
  ];
  for (const [name, bytes, code] of cases) {
    it(name, () => {
      const r = decodeWire(bytes);
      expect(r).toMatchObject({ ok: false, code, side: 'receiver' });
      if (!r.ok) expect(r.message.length).toBeGreaterThan(10);
    });
  }

  it('an unknown type is reported at step "wire: type", so a caller may skip it', () => {
    expect(decodeWire(raw(0x11, '{}'))).toMatchObject({ ok: false, code: 'WIRE_MALFORMED', step: 'wire: type' });
  });
});

describe('wire: properties of the decoder', () => {
  it('never throws on arbitrary bytes; whatever it accepts is canonical (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.from([1, b[0] ?? 1, ...b.subarray(1)])),
        ),
        (bytes) => {
          const r = decodeWire(bytes);
          if (r.ok) expect(toHex(encodeWire(r.message))).toBe(toHex(bytes));
          else expect(['WIRE_MALFORMED', 'WIRE_VERSION', 'WIRE_TOO_LARGE']).toContain(r.code);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a flipped bit never throws: it is refused, or decodes to another message whose encoding is exactly those bytes (property)', () => {
    fc.assert(
      fc.property(arbMessage, fc.nat(), (m, n) => {
        const bytes = encodeWire(m);
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeWire(bytes);
        if (r.ok) {
          expect(r.message).not.toEqual(m);
          expect(toHex(encodeWire(r.message))).toBe(toHex(bytes));
        } else expect(['WIRE_MALFORMED', 'WIRE_VERSION']).toContain(r.code);
      }),
      { numRuns: 1000 },
    );
  });

  it('a flipped bit in the version, type or header length is always refused (property)', () => {
    fc.assert(
      fc.property(arbMessage, fc.integer({ min: 0, max: 6 * 8 - 1 }), (m, bit) => {
        const bytes = encodeWire(m);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(decodeWire(bytes).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('regression (property seed -1934546515): every type with a tail only, each bit of the envelope flipped, never decodes', () => {
    // session-offer without a session id and kx were one type bit apart (0x06 / 0x07) with the
    // same {}-plus-tail shape; kx moved to 0x0F (docs/protocol-app.md §4).
    const tailOnly: WireMessage[] = [
      { type: 'session-offer', kemPublicKey: new Uint8Array(1184) },
      { type: 'kx', data: new Uint8Array(64) },
      { type: 'ratchet', data: new Uint8Array(64) },
      { type: 'file-key', key: new Uint8Array(32) },
      { type: 'features-check', digest: new Uint8Array(32) },
    ];
    for (const m of tailOnly) {
      for (let bit = 0; bit < 6 * 8; bit++) {
        const bytes = encodeWire(m);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(decodeWire(bytes).ok, `${m.type}, bit ${bit}`).toBe(false);
      }
    }
  });
});

describe('wire: the types of version 2 (docs/protocol.md "Compatibility")', () => {
  it('each new type code is at least two bits from every other, so one flipped bit never turns a type into it or back', () => {
    const codes = Object.entries(WIRE_TYPE_CODES);
    const added = ['features', 'unsupported', 'features-check', 'group'];
    for (const [a, ca] of codes.filter(([t]) => added.includes(t)))
      for (const [b, cb] of codes) {
        if (a === b) continue;
        const bits = (ca ^ cb).toString(2).replace(/0/g, '').length;
        expect(bits, `${a} 0x${ca.toString(16)} / ${b} 0x${cb.toString(16)}`).toBeGreaterThanOrEqual(2);
      }
  });

  it('an unknown type still gives up its id, so it can be receipted as unsupported; anything else gives null', () => {
    expect(messageIdOf(raw(0x7e, '{"id":"q3XbV0c9ZtE-17","x":1}', Uint8Array.of(9)))).toBe('q3XbV0c9ZtE-17');
    expect(messageIdOf(raw(0x7e, '{"x":1}'))).toBeNull();
    expect(messageIdOf(raw(0x7e, '{"id":"has space"}'))).toBeNull();
    expect(messageIdOf(raw(0x7e, '{"id":"a"}', undefined, 2))).toBeNull();
    expect(messageIdOf(raw(0x7e, 'not json'))).toBeNull();
    expect(messageIdOf(Uint8Array.of(1, 0x7e, 0, 0, 0, 9))).toBeNull();
  });

  it('an announcement names at most 32 features, each at most 32 characters: at most 1 200 bytes', () => {
    const names = Array.from({ length: 32 }, (_, i) => `f${String(i).padStart(2, '0')}${'x'.repeat(29)}`);
    const bytes = encodeWire({ type: 'features', version: 0xffff, features: names });
    expect(bytes.length).toBeLessThan(1200);
    expect(decoded(bytes)).toEqual({ type: 'features', version: 0xffff, features: names });
  });
});

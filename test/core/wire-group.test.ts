/** The wire type `group` (0x3c) that carries a group codec message inside a ratchet (docs/groups.md §9). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeWire, encodeWire, WIRE_TYPE_CODES, type WireMessage } from '../../src/core/wire';
import { decodeGroup, encodeGroup } from '../../src/core/group-wire';
import { arbGroupMessage, hex } from './group-helpers';

const arbGroupWire: fc.Arbitrary<WireMessage> = fc
  .tuple(arbGroupMessage, fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{11}-[1-9][0-9]{0,5}$/), { nil: undefined }))
  .map(([m, id]) =>
    id === undefined ? { type: 'group', data: encodeGroup(m) } : { type: 'group', id, data: encodeGroup(m) },
  );

function raw(type: number, header: string, tail: Uint8Array): Uint8Array {
  const h = Buffer.from(header);
  const prefix = Buffer.alloc(6);
  prefix[0] = 1;
  prefix[1] = type;
  prefix.writeUInt32BE(h.length, 2);
  return Uint8Array.from(Buffer.concat([prefix, h, tail]));
}

describe('wire: the group type (docs/groups.md §9)', () => {
  it('has the documented layout: {} or {"id":…} header, the group message raw in the tail', () => {
    const data = encodeGroup({
      type: 'file-request',
      group: new Uint8Array(32).fill(7),
      offerId: new Uint8Array(16).fill(8),
    });
    expect(hex(encodeWire({ type: 'group', data }))).toBe(hex(raw(0x3c, '{}', data)));
    expect(hex(encodeWire({ type: 'group', id: 'q3XbV0c9ZtE-17', data }))).toBe(
      hex(raw(0x3c, '{"id":"q3XbV0c9ZtE-17"}', data)),
    );
    expect(WIRE_TYPE_CODES.group).toBe(0x3c);
  });

  it('round-trips, and the tail decodes back to the group message (property)', () => {
    fc.assert(
      fc.property(arbGroupWire, (m) => {
        const back = decodeWire(encodeWire(m));
        expect(back).toEqual({ ok: true, message: m });
        if (back.ok && back.message.type === 'group') expect(decodeGroup(back.message.data).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a flipped bit in the version, type or header length is always refused (property)', () => {
    fc.assert(
      fc.property(arbGroupWire, fc.integer({ min: 0, max: 47 }), (m, bit) => {
        const bytes = encodeWire(m);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(decodeWire(bytes).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('a flipped bit anywhere is refused by the wire or the group codec, or yields other canonical bytes (property)', () => {
    fc.assert(
      fc.property(arbGroupWire, fc.nat(), (m, n) => {
        const bytes = encodeWire(m);
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeWire(bytes);
        if (!r.ok) return;
        expect(hex(encodeWire(r.message))).toBe(hex(bytes));
        if (r.message.type !== 'group')
          throw new Error(`a flipped bit turned a group message into a ${r.message.type}`);
        const g = decodeGroup(r.message.data);
        if (g.ok) expect(hex(encodeGroup(g.message))).toBe(hex(r.message.data));
      }),
      { numRuns: 1000 },
    );
  });

  it('every bit of the envelope of a {}-plus-tail group message, flipped, never decodes (no type one bit away)', () => {
    const m: WireMessage = { type: 'group', data: new Uint8Array(40).fill(1) };
    for (let bit = 0; bit < 48; bit++) {
      const bytes = encodeWire(m);
      bytes[bit >> 3]! ^= 1 << (bit & 7);
      expect(decodeWire(bytes).ok, `bit ${bit}`).toBe(false);
    }
  });

  const malformed: [string, Uint8Array][] = [
    ['no data', raw(0x3c, '{}', new Uint8Array(0))],
    ['an id that is not a message id', raw(0x3c, '{"id":"a b"}', Uint8Array.of(1))],
    ['an id that is a number', raw(0x3c, '{"id":5}', Uint8Array.of(1))],
    ['an unknown header field', raw(0x3c, '{"group":"x"}', Uint8Array.of(1))],
    ['white space in the header', raw(0x3c, '{ }', Uint8Array.of(1))],
  ];
  for (const [name, bytes] of malformed)
    it(`refuses ${name} (WIRE_MALFORMED)`, () => {
      expect(decodeWire(bytes)).toMatchObject({ ok: false, code: 'WIRE_MALFORMED', side: 'receiver' });
    });

  it('throws at encode time naming the field', () => {
    expect(() => encodeWire({ type: 'group', data: new Uint8Array(0) })).toThrow(/group.data/);
    expect(() => encodeWire({ type: 'group', id: 'no spaces', data: Uint8Array.of(1) })).toThrow(/group.id/);
  });
});

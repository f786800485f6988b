import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeGroup,
  encodeGroup,
  encodeGroupUnsigned,
  MAX_GROUP_BYTES,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_TEXT_BYTES,
  TEXT_HEADER_BYTES,
  type GroupMessage,
} from '../../src/core/group-wire';
import { arbGroupMessage, hex } from './group-helpers';

function decoded(bytes: Uint8Array): GroupMessage {
  const r = decodeGroup(bytes);
  if (!r.ok) throw new Error(`expected ok, got ${r.code} at ${r.step}: ${r.message}`);
  return r.message;
}

const stamp = {
  group: new Uint8Array(32).fill(1),
  sender: new Uint8Array(32).fill(2),
  epoch: new Uint8Array(8).fill(3),
  generation: 1,
  seq: 2,
  lamport: 5,
  sentAt: 1_800_000_000_000,
};

describe('group codec: round trips and properties (docs/groups.md §2)', () => {
  it('round-trips every message type (property)', () => {
    fc.assert(
      fc.property(arbGroupMessage, (m) => {
        expect(decoded(encodeGroup(m))).toEqual(m);
      }),
      { numRuns: 1000 },
    );
  });

  it('every type is covered by the arbitrary', () => {
    const seen = new Set(fc.sample(arbGroupMessage, 2000).map((m) => m.type));
    expect([...seen].sort()).toEqual(
      [
        'file-offer',
        'file-request',
        'file-gone',
        'hello',
        'intro',
        'leave',
        'list',
        'text',
        'vouch',
        'vouch-result',
      ].sort(),
    );
  });

  it('a flipped bit is refused, or decodes to another message whose encoding is exactly those bytes (property)', () => {
    fc.assert(
      fc.property(arbGroupMessage, fc.nat(), (m, n) => {
        const bytes = encodeGroup(m);
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeGroup(bytes);
        if (r.ok) {
          expect(r.message).not.toEqual(m);
          expect(hex(encodeGroup(r.message))).toBe(hex(bytes));
        } else expect(['GROUP_MALFORMED', 'GROUP_VERSION', 'GROUP_TOO_MANY_MEMBERS']).toContain(r.code);
      }),
      { numRuns: 2000 },
    );
  });

  it('a flipped bit in the version or type byte is always refused (property)', () => {
    fc.assert(
      fc.property(arbGroupMessage, fc.integer({ min: 0, max: 15 }), (m, bit) => {
        const bytes = encodeGroup(m);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        expect(decodeGroup(bytes).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary bytes; whatever it accepts is canonical (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc
            .tuple(fc.integer({ min: 1, max: 9 }), fc.uint8Array({ maxLength: 400 }))
            .map(([t, b]) => Uint8Array.of(1, t, ...b)),
        ),
        (bytes) => {
          const r = decodeGroup(bytes);
          if (r.ok) expect(hex(encodeGroup(r.message))).toBe(hex(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('every truncation of every message is refused (property)', () => {
    fc.assert(
      fc.property(arbGroupMessage, fc.nat(), (m, n) => {
        const bytes = encodeGroup(m);
        if (m.type === 'text') return; // a text's tail is its text: cutting it yields a shorter text
        const cut = bytes.subarray(0, n % bytes.length);
        expect(decodeGroup(cut).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('the unsigned encoding is the signed one without its last 64 bytes', () => {
    for (const m of fc.sample(arbGroupMessage, 300)) {
      if (m.type !== 'list' && m.type !== 'vouch' && m.type !== 'leave' && m.type !== 'intro') {
        expect(() => encodeGroupUnsigned(m)).toThrow(/not a signed type/);
        continue;
      }
      const full = encodeGroup(m);
      expect(hex(encodeGroupUnsigned(m))).toBe(hex(full.subarray(0, full.length - 64)));
    }
  });
});

describe('group codec: bounds and typed refusals', () => {
  it('carries a text of exactly MAX_GROUP_TEXT_BYTES and refuses one byte more', () => {
    const text = 'é'.repeat(MAX_GROUP_TEXT_BYTES / 2);
    const bytes = encodeGroup({ type: 'text', ...stamp, text });
    expect(bytes.length).toBe(MAX_GROUP_BYTES);
    expect(bytes.length).toBe(TEXT_HEADER_BYTES + MAX_GROUP_TEXT_BYTES);
    expect(decoded(bytes)).toMatchObject({ type: 'text', text });
    expect(() => encodeGroup({ type: 'text', ...stamp, text: text + 'a' })).toThrow(/at most 64512/);
    const over = new Uint8Array(MAX_GROUP_BYTES + 1);
    over.set(bytes);
    expect(decodeGroup(over)).toMatchObject({ ok: false, code: 'GROUP_TOO_LARGE' });
  });

  it('a list of 51 members is GROUP_TOO_MANY_MEMBERS, 50 decode', () => {
    const members = Array.from({ length: MAX_GROUP_MEMBERS }, (_, i) => ({
      key: Uint8Array.of(i, ...new Uint8Array(31)),
      name: `M${i}`,
      since: 1,
    }));
    const list = {
      type: 'list' as const,
      group: new Uint8Array(32),
      admin: members[0]!.key,
      salt: new Uint8Array(32),
      generation: 1,
      lamport: 1,
      name: 'G',
      members,
      signature: new Uint8Array(64),
    };
    const bytes = encodeGroup(list);
    expect(decoded(bytes)).toEqual(list);
    expect(() =>
      encodeGroup({ ...list, members: [...members, { key: new Uint8Array(32).fill(255), name: 'X', since: 1 }] }),
    ).toThrow(/1\.\.50 entries/);
    // Hand-made: count byte 51 followed by 51 entries.
    const count = 2 + 32 + 32 + 32 + 4 + 6 + 1 + 1;
    const extra = Uint8Array.of(...new Uint8Array(31).fill(0xee), 0xee, 0, 0, 0, 1, 1, 0x5a);
    const forged = new Uint8Array([...bytes.subarray(0, bytes.length - 64), ...extra, ...new Uint8Array(64)]);
    forged[count]! = 51;
    expect(decodeGroup(forged)).toMatchObject({ ok: false, code: 'GROUP_TOO_MANY_MEMBERS', side: 'receiver' });
  });

  const list = () => ({
    type: 'list' as const,
    group: new Uint8Array(32),
    admin: new Uint8Array(32).fill(9),
    salt: new Uint8Array(32),
    generation: 3,
    lamport: 7,
    name: 'Group',
    members: [
      { key: new Uint8Array(32).fill(1), name: 'One', since: 2 },
      { key: new Uint8Array(32).fill(9), name: 'Admin', since: 1 },
    ],
    signature: new Uint8Array(64),
  });
  const cases: [string, () => GroupMessage, RegExp][] = [
    ['members out of order', () => ({ ...list(), members: list().members.reverse() }), /ascend/],
    ['a member twice', () => ({ ...list(), members: [list().members[0]!, ...list().members] }), /ascend/],
    ['no admin among members', () => ({ ...list(), members: [list().members[0]!] }), /include the admin/],
    [
      'since above the generation',
      () => ({ ...list(), members: [{ ...list().members[0]!, since: 4 }, list().members[1]!] }),
      /since/,
    ],
    ['generation 0', () => ({ ...list(), generation: 0 }), /generation/],
    ['a name with a control character', () => ({ ...list(), name: 'a\u0007b' }), /canonical display name/],
    ['a name not trimmed', () => ({ ...list(), name: ' Group' }), /canonical display name/],
    ['a name not in NFC', () => ({ ...list(), name: 'Cafe\u0301' }), /canonical display name/],
    ['a name of 65 bytes', () => ({ ...list(), name: 'x'.repeat(65) }), /1\.\.64/],
    ['a hello at seq 2', () => ({ type: 'hello', ...stamp, seq: 2, name: 'Dave' }), /hello is exactly seq 1/],
    ['a text at seq 1', () => ({ type: 'text', ...stamp, seq: 1, text: 'hi' }), /hello is exactly seq 1/],
    ['a lamport of 0', () => ({ type: 'text', ...stamp, lamport: 0, text: 'hi' }), /at least 1/],
    [
      'an intro to its maker',
      () => ({
        type: 'intro',
        group: stamp.group,
        from: stamp.sender,
        to: stamp.sender,
        introId: new Uint8Array(16),
        rendezvousSecret: new Uint8Array(32),
        expiresAt: 1,
        signature: new Uint8Array(64),
      }),
      /differ/,
    ],
    [
      'a refusal that names a generation',
      () => ({
        type: 'vouch-result',
        group: stamp.group,
        vouchId: new Uint8Array(16),
        outcome: 'refused',
        generation: 2,
      }),
      /exactly when added/,
    ],
    [
      'a file named ..',
      () => ({
        type: 'file-offer',
        ...stamp,
        offerId: new Uint8Array(16),
        files: [{ name: '..', type: '', size: 1, sha256: new Uint8Array(32) }],
      }),
      /name may not be/,
    ],
  ];
  for (const [name, make, why] of cases) {
    it(`${name}: the encoder throws naming the rule`, () => {
      expect(() => encodeGroup(make())).toThrow(why);
    });
  }

  it('hand-made bytes breaking a rule are GROUP_MALFORMED with the field in the step', () => {
    const good = encodeGroup({ type: 'hello', ...stamp, seq: 1, name: 'Dave' });
    const seqAt = 2 + 32 + 32 + 8 + 4;
    const bad = good.slice();
    bad[seqAt + 5] = 2; // seq 2 on a hello
    expect(decodeGroup(bad)).toMatchObject({ ok: false, code: 'GROUP_MALFORMED', step: 'group: hello.seq' });
    expect(decodeGroup(Uint8Array.of(2, 1))).toMatchObject({ ok: false, code: 'GROUP_VERSION' });
    expect(decodeGroup(Uint8Array.of(1, 11))).toMatchObject({
      ok: false,
      code: 'GROUP_MALFORMED',
      step: 'group: type',
    });
    expect(decodeGroup(Uint8Array.of(1))).toMatchObject({ ok: false, code: 'GROUP_MALFORMED' });
    expect(decodeGroup(new Uint8Array([...good, 0]))).toMatchObject({ ok: false, code: 'GROUP_MALFORMED' });
    const u64 = encodeGroup({
      type: 'file-offer',
      ...stamp,
      offerId: new Uint8Array(16),
      files: [{ name: 'a', type: '', size: 1, sha256: new Uint8Array(32) }],
    });
    const sizeAt = u64.length - 32 - 8;
    u64[sizeAt] = 0x00;
    u64[sizeAt + 1] = 0x20; // 2^53: not a safe integer
    expect(decodeGroup(u64)).toMatchObject({ ok: false, code: 'GROUP_MALFORMED' });
  });

  it('encode throws naming the field on a wrong-sized key or a bad type', () => {
    expect(() => encodeGroup({ type: 'file-request', group: new Uint8Array(31), offerId: new Uint8Array(16) })).toThrow(
      /m\.group/,
    );
    expect(() => encodeGroup({ type: 'nope' } as unknown as GroupMessage)).toThrow(/m\.type/);
    expect(() => encodeGroup({ type: 'text', ...stamp, text: '\ud800' })).toThrow(/m\.text/);
  });
});

/** The session payload framing (`id ‖ 0x0A ‖ body`, docs/security-ratchet.md "Persistence"). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodePayload, encodePayload } from '../../src/store/sessions';

const stream = fc.stringMatching(/^[A-Za-z0-9_-]{11}$/);
const id = fc.tuple(stream, fc.integer({ min: 1, max: 2 ** 40 })).map(([s, n]) => `${s}-${n}`);

describe('session payload', () => {
  it('round-trips any outbox id and body (bodies may contain the separator)', () => {
    fc.assert(
      fc.property(id, fc.uint8Array({ maxLength: 300 }), (i, body) => {
        const d = decodePayload(encodePayload(i, body));
        expect(d?.id).toBe(i);
        expect(d?.body).toEqual(body);
      }),
    );
  });
  it('refuses a payload without a valid id in front', () => {
    const enc = new TextEncoder();
    for (const bad of [
      '',
      '\nbody',
      'no-separator',
      'abc-1\nbody',
      'AAAAAAAAAAA-0\nx',
      'AAAAAAAAAAA-01\nx',
      `${'A'.repeat(70)}\nx`,
    ])
      expect(decodePayload(enc.encode(bad)), JSON.stringify(bad)).toBeNull();
  });
  it('changing a byte of the id makes it another id or no id (the ratchet authenticates it)', () => {
    fc.assert(
      fc.property(
        id,
        fc.uint8Array({ maxLength: 50 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (i, body, at, x) => {
          const bytes = encodePayload(i, body);
          const k = at % i.length;
          bytes[k]! ^= x;
          expect(decodePayload(bytes)?.id).not.toBe(i);
        },
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hkdfSync, randomBytes } from 'node:crypto';
import vectors from '../vectors/parley-rendezvous.json';
import { findLeaks } from '../support/leakscan';
import {
  contactRendezvousSecret,
  dayOf,
  decodeSignal,
  deriveContactSecret,
  encodeSignal,
  MAX_SIGNAL_PLAINTEXT,
  openSignal,
  rendezvousDays,
  roomId,
  sealSignal,
  SIGNAL_BUCKET_BYTES,
  type SignalEnvelope,
} from '../../src/core/rendezvous';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rnd = (n: number) => Uint8Array.from(randomBytes(n));
const hkdf = (ikm: Uint8Array, info: Uint8Array | string) =>
  new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, 32));
const arbSecret = fc.uint8Array({ minLength: 32, maxLength: 32 });

function opened(r: ReturnType<typeof openSignal>): Uint8Array {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.plaintext;
}

describe('rendezvous: known answers (test/vectors/parley-rendezvous.json)', () => {
  it('room id, seal, contact secrets and daily secrets match the vectors', () => {
    const secret = hex(vectors.secret);
    expect(roomId(secret)).toBe(vectors.roomId);
    expect(toHex(encodeSignal(vectors.envelope))).toBe(vectors.plaintext);
    expect(toHex(sealSignal(secret, hex(vectors.plaintext), () => hex(vectors.nonce)))).toBe(vectors.sealed);
    expect(toHex(opened(openSignal(secret, hex(vectors.sealed))))).toBe(vectors.plaintext);
    const contact = deriveContactSecret(hex(vectors.handshakeSecret));
    expect(toHex(contact)).toBe(vectors.contactSecret);
    for (const d of vectors.days) {
      expect(toHex(contactRendezvousSecret(contact, d.day))).toBe(d.secret);
      expect(roomId(hex(d.secret))).toBe(d.roomId);
    }
  });

  it('matches HKDF-SHA256 from node:crypto with the documented labels', () => {
    const secret = hex(vectors.secret);
    expect(roomId(secret)).toBe(Buffer.from(hkdf(secret, 'parley/rendezvous/room/1')).toString('base64url'));
    expect(toHex(deriveContactSecret(hex(vectors.handshakeSecret)))).toBe(
      toHex(hkdf(hex(vectors.handshakeSecret), 'parley/contact-secret/1')),
    );
    const day = Buffer.alloc(8);
    day.writeBigUInt64BE(20412n);
    const info = Buffer.concat([Buffer.from('parley/rendezvous/contact-day/1'), day]);
    expect(toHex(contactRendezvousSecret(hex(vectors.contactSecret), 20412))).toBe(
      toHex(hkdf(hex(vectors.contactSecret), info)),
    );
  });
});

describe('rendezvous: room id', () => {
  it('is 43 base64url characters and differs per secret', () => {
    fc.assert(
      fc.property(arbSecret, arbSecret, (a, b) => {
        expect(roomId(a)).toMatch(/^[A-Za-z0-9_-]{43}$/);
        if (toHex(a) !== toHex(b)) expect(roomId(a)).not.toBe(roomId(b));
      }),
      { numRuns: 50 },
    );
  });

  it('attack: the relay, knowing the room id, sees no trace of the secret or the sealing key', () => {
    fc.assert(
      fc.property(arbSecret, (secret) => {
        const room = roomId(secret);
        const sealKey = hkdf(secret, 'parley/rendezvous/seal/1');
        expect(room).not.toBe(Buffer.from(secret).toString('base64url'));
        expect(
          findLeaks(
            [
              { label: 'secret', value: secret },
              { label: 'seal key', value: sealKey },
            ],
            [room, JSON.stringify({ type: 'subscribe', room })],
          ),
        ).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('throws on a wrongly sized secret', () => {
    expect(() => roomId(new Uint8Array(16))).toThrow(/secret: expected 32 bytes/);
  });
});

describe('rendezvous: sealed signals', () => {
  it('round-trips any plaintext and pads it to a 512-byte bucket (property)', () => {
    fc.assert(
      fc.property(arbSecret, fc.uint8Array({ maxLength: 3000 }), (secret, plaintext) => {
        const blob = sealSignal(secret, plaintext, rnd);
        expect(blob.length).toBe(41 + Math.ceil((plaintext.length + 4) / SIGNAL_BUCKET_BYTES) * SIGNAL_BUCKET_BYTES);
        expect(toHex(opened(openSignal(secret, blob)))).toBe(toHex(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  it('hides the exact length: plaintexts in one bucket seal to the same size', () => {
    const secret = rnd(32);
    const sizes = new Set([0, 1, 200, 508].map((n) => sealSignal(secret, rnd(n), rnd).length));
    expect([...sizes]).toEqual([41 + 512]);
    expect(sealSignal(secret, rnd(509), rnd).length).toBe(41 + 1024);
    expect(sealSignal(secret, rnd(MAX_SIGNAL_PLAINTEXT), rnd).length).toBe(41 + 32768);
    expect(() => sealSignal(secret, rnd(MAX_SIGNAL_PLAINTEXT + 1), rnd)).toThrow(/plaintext/);
  });

  it('uses a fresh nonce: the same plaintext seals differently each time', () => {
    const secret = rnd(32);
    const p = new TextEncoder().encode('same offer');
    expect(toHex(sealSignal(secret, p, rnd))).not.toBe(toHex(sealSignal(secret, p, rnd)));
  });

  it('attack: a blob sealed under another rendezvous secret does not open (property)', () => {
    fc.assert(
      fc.property(arbSecret, arbSecret, fc.uint8Array({ maxLength: 600 }), (a, b, plaintext) => {
        fc.pre(toHex(a) !== toHex(b));
        expect(openSignal(b, sealSignal(a, plaintext, rnd))).toMatchObject({
          ok: false,
          code: 'SIGNAL_BAD_SEAL',
          side: 'receiver',
        });
      }),
      { numRuns: 100 },
    );
  });

  it('attack: a single flipped bit is a typed failure, never an exception (property)', () => {
    const secret = rnd(32);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.nat(), (plaintext, n) => {
        const blob = sealSignal(secret, plaintext, rnd);
        const bit = n % (blob.length * 8);
        blob[bit >> 3]! ^= 1 << (bit & 7);
        const r = openSignal(secret, blob);
        expect(r).toMatchObject({ ok: false, code: bit < 8 ? 'SIGNAL_MALFORMED' : 'SIGNAL_BAD_SEAL' });
      }),
      { numRuns: 300 },
    );
  });

  it('attack: truncated, extended or junk blobs are SIGNAL_MALFORMED, never an exception (property)', () => {
    const secret = rnd(32);
    const blob = sealSignal(secret, rnd(100), rnd);
    expect(openSignal(secret, blob.subarray(0, blob.length - 1))).toMatchObject({
      ok: false,
      code: 'SIGNAL_MALFORMED',
    });
    expect(openSignal(secret, Uint8Array.from([...blob, 0]))).toMatchObject({ ok: false, code: 'SIGNAL_MALFORMED' });
    expect(openSignal(secret, new Uint8Array(0))).toMatchObject({ ok: false, code: 'SIGNAL_MALFORMED' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (junk) => {
        const r = openSignal(secret, junk);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['SIGNAL_MALFORMED', 'SIGNAL_BAD_SEAL']).toContain(r.code);
      }),
      { numRuns: 300 },
    );
  });

  it('attack: the sealed blob, as the relay relays it, shows no trace of the plaintext, secret or keys', () => {
    const secret = rnd(32);
    const identityKey = rnd(32);
    const sdp = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 ${Buffer.from(rnd(32)).toString('hex').toUpperCase().match(/../g)!.join(':')}\r\n`;
    const candidate = 'candidate:842163049 1 udp 1677729535 127.0.0.1 54321 typ srflx raddr 0.0.0.0 rport 0';
    const frames: string[] = [];
    for (const payload of [{ sdp, identityKey: Buffer.from(identityKey).toString('base64') }, { candidate }]) {
      const blob = sealSignal(secret, encodeSignal({ kind: 'offer', from: 'sessionAAAA', payload }), rnd);
      frames.push(
        JSON.stringify({ type: 'publish', room: roomId(secret), data: Buffer.from(blob).toString('base64url') }),
      );
      frames.push(Buffer.from(blob).toString('latin1'));
    }
    const secrets = [
      { label: 'rendezvous secret', value: secret },
      { label: 'seal key', value: hkdf(secret, 'parley/rendezvous/seal/1') },
      { label: 'identity key', value: identityKey },
      { label: 'sdp', value: sdp },
      { label: 'sdp fingerprint line', value: sdp.split('\r\n')[2]! },
      { label: 'candidate', value: candidate },
      { label: 'loopback address', value: '127.0.0.1 54321' },
    ];
    expect(findLeaks(secrets, frames)).toEqual([]);
    // The scan is not blind: the same payload unsealed is caught.
    expect(findLeaks(secrets, [JSON.stringify({ sdp })]).length).toBeGreaterThan(0);
  });
});

describe('rendezvous: contact secrets', () => {
  it("rotate daily, so one day's room cannot be linked to the next", () => {
    const contact = deriveContactSecret(rnd(32));
    const rooms = [20000, 20001, 20002].map((d) => roomId(contactRendezvousSecret(contact, d)));
    expect(new Set(rooms).size).toBe(3);
    expect(roomId(contactRendezvousSecret(contact, 20001))).toBe(rooms[1]);
    expect(roomId(contactRendezvousSecret(deriveContactSecret(rnd(32)), 20001))).not.toBe(rooms[1]);
    const contactRoom = roomId(contact);
    expect(rooms).not.toContain(contactRoom);
    expect(findLeaks([{ label: 'contact secret', value: contact }], rooms)).toEqual([]);
  });

  it('dayOf and rendezvousDays handle midnight and clock skew', () => {
    const midnight = 20412 * 86_400_000;
    expect(dayOf(midnight - 1)).toBe(20411);
    expect(dayOf(midnight)).toBe(20412);
    expect(rendezvousDays(midnight + 12 * 3_600_000)).toEqual([20412]);
    expect(rendezvousDays(midnight + 60_000)).toEqual([20411, 20412]);
    expect(rendezvousDays(midnight - 60_000)).toEqual([20411, 20412]);
  });

  it('throws on a bad day number or secret (programmer mistakes)', () => {
    expect(() => contactRendezvousSecret(rnd(32), 1.5)).toThrow(/day/);
    expect(() => contactRendezvousSecret(rnd(32), -1)).toThrow(/day/);
    expect(() => deriveContactSecret(rnd(31))).toThrow(/handshakeSecret/);
  });
});

describe('rendezvous: signal envelopes', () => {
  const arbEnvelope: fc.Arbitrary<SignalEnvelope> = fc
    .record({
      kind: fc.constantFrom('hello', 'offer', 'answer', 'candidate', 'bye', 'x-future'),
      from: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
      to: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), { nil: undefined }),
      payload: fc.jsonValue(),
    })
    .map(({ to, ...e }) => (to === undefined ? e : { ...e, to }));

  it('round-trips any envelope (property)', () => {
    fc.assert(
      fc.property(arbEnvelope, (e) => {
        const r = decodeSignal(encodeSignal(e));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.envelope).toEqual(JSON.parse(JSON.stringify(e)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses malformed envelopes with SIGNAL_MALFORMED', () => {
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    for (const bad of [
      new Uint8Array([0xff, 0xfe]),
      enc([1]),
      enc(null),
      enc({ kind: 'offer', payload: 1 }),
      enc({ kind: 'Offer!', from: 'abcdefgh', payload: 1 }),
      enc({ kind: 'offer', from: 'short', payload: 1 }),
      enc({ kind: 'offer', from: 'abcdefgh' }),
      enc({ kind: 'offer', from: 'abcdefgh', payload: 1, extra: 2 }),
      enc({ kind: 'offer', from: 'abcdefgh', to: 5, payload: 1 }),
    ])
      expect(decodeSignal(bad)).toMatchObject({ ok: false, code: 'SIGNAL_MALFORMED' });
  });

  it('a flipped bit never throws: it is refused or decodes to a valid envelope (property)', () => {
    fc.assert(
      fc.property(arbEnvelope, fc.nat(), (e, n) => {
        const bytes = encodeSignal(e);
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeSignal(bytes);
        if (r.ok) expect(() => encodeSignal(r.envelope)).not.toThrow();
        else expect(r.code).toBe('SIGNAL_MALFORMED');
      }),
      { numRuns: 300 },
    );
  });

  it('throws on a bad envelope at encode time (programmer mistakes)', () => {
    expect(() => encodeSignal({ kind: 'offer', from: 'x', payload: 1 })).toThrow(/envelope.from/);
    expect(() => encodeSignal({ kind: '', from: 'abcdefgh', payload: 1 })).toThrow(/envelope.kind/);
  });
});

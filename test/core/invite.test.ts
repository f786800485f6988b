import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import vectors from '../vectors/parley-invite.json';
import { identityFromSeed, safetyNumber } from '../../src/core/identity';
import { fromBase64Url, toBase64Url } from '../../src/core/base64url';
import {
  cleanDisplayName,
  createInvite,
  DEFAULT_INVITE_TTL_MS,
  encodeInvite,
  inviteLink,
  inviteProof,
  MAX_INVITE_NAME_BYTES,
  parseInvite,
  verifyInviteProof,
  type Invite,
} from '../../src/core/invite';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rnd = (n: number) => Uint8Array.from(randomBytes(n));
const NOW = 1_800_000_000_000;
const inviter = identityFromSeed(hex(vectors.inviterSeed));

function ok(r: ReturnType<typeof parseInvite>): Invite {
  if (!r.ok) throw new Error(`expected ok, got ${r.code}: ${r.message}`);
  return r.invite;
}
/** Recomputes the 4-byte checksum over modified bytes, as a forger (or a future version) would. */
function withChecksum(body: Uint8Array): string {
  const sum = createHash('sha256').update('parley/invite-checksum').update(body).digest().subarray(0, 4);
  return toBase64Url(Uint8Array.from(Buffer.concat([body, sum])));
}
const arbInvite = fc
  .record({
    inviterSeed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    rendezvousSecret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    inviteSecret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    expiresAt: fc.integer({ min: NOW + 1, max: 2 ** 48 - 1 }),
    name: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { nil: undefined }),
  })
  .map(({ inviterSeed, name, ...rest }): Invite => {
    const invite: Invite = { version: 1, inviterKey: identityFromSeed(inviterSeed).publicKey, ...rest };
    const clean = name === undefined ? undefined : cleanDisplayName(name);
    if (clean !== undefined) invite.name = clean;
    return invite;
  });

describe('invite: known answers (test/vectors/parley-invite.json)', () => {
  for (const [i, v] of vectors.invites.entries()) {
    it(`vector ${i}: encodes, links, parses and proves as recorded`, () => {
      expect(toHex(inviter.publicKey)).toBe(v.inviterKey);
      const queue = [hex(v.rendezvousSecret), hex(v.inviteSecret)];
      const invite = createInvite({
        inviterKey: inviter.publicKey,
        name: v.name,
        now: vectors.now,
        ttlMs: v.expiresAt - vectors.now,
        random: () => queue.shift()!,
      });
      expect(encodeInvite(invite)).toBe(v.code);
      expect(inviteLink(vectors.origin, invite)).toBe(v.link);
      const parsed = ok(parseInvite(v.link, vectors.now));
      expect(parsed).toEqual(invite);
      expect(toHex(parsed.inviterKey)).toBe(v.inviterKey);
      expect(parsed.name).toBe(v.name);
      expect(toHex(inviteProof(parsed.inviteSecret, hex(v.handshakeSecret)))).toBe(v.proof);
    });
  }

  it('matches an independent decoding of the byte layout (node:crypto)', () => {
    const v = vectors.invites[0]!;
    const bytes = Buffer.from(v.code, 'base64url');
    expect(bytes[0]).toBe(1);
    expect(bytes.subarray(1, 33).toString('hex')).toBe(v.inviterKey);
    expect(bytes.subarray(33, 65).toString('hex')).toBe(v.rendezvousSecret);
    expect(bytes.subarray(65, 97).toString('hex')).toBe(v.inviteSecret);
    expect(bytes.readUIntBE(97, 6)).toBe(v.expiresAt);
    expect(bytes[103]).toBe(Buffer.byteLength(v.name!));
    expect(bytes.subarray(104, bytes.length - 4).toString('utf8')).toBe(v.name);
    const sum = createHash('sha256')
      .update('parley/invite-checksum')
      .update(bytes.subarray(0, bytes.length - 4))
      .digest();
    expect(bytes.subarray(bytes.length - 4)).toEqual(sum.subarray(0, 4));
    const mac = createHmac('sha256', hex(v.inviteSecret))
      .update('parley/invite-proof/1')
      .update(hex(v.handshakeSecret))
      .digest('hex');
    expect(mac).toBe(v.proof);
  });
});

describe('invite: create, encode, parse', () => {
  it('createInvite draws fresh secrets, defaults to a 24 h lifetime and cleans the name', () => {
    const a = createInvite({ inviterKey: inviter.publicKey, name: '  Ada\n\tLovelace\u0007 ', now: NOW, random: rnd });
    const b = createInvite({ inviterKey: inviter.publicKey, now: NOW, random: rnd });
    expect(a.expiresAt).toBe(NOW + DEFAULT_INVITE_TTL_MS);
    expect(a.name).toBe('Ada Lovelace');
    expect(b.name).toBeUndefined();
    expect(toHex(a.rendezvousSecret)).not.toBe(toHex(b.rendezvousSecret));
    expect(toHex(a.inviteSecret)).not.toBe(toHex(a.rendezvousSecret));
  });

  it('cuts a long name at a code point boundary within the cap', () => {
    const name = cleanDisplayName('🧮'.repeat(40))!;
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(MAX_INVITE_NAME_BYTES);
    expect(name).toBe('🧮'.repeat(16));
    const invite = createInvite({ inviterKey: inviter.publicKey, name: 'é'.repeat(100), now: NOW, random: rnd });
    expect(ok(parseInvite(encodeInvite(invite), NOW)).name).toBe('é'.repeat(32));
    expect(cleanDisplayName(' \n\u0000 ')).toBeUndefined();
    expect(cleanDisplayName('x'.repeat(1_000_000))).toBe('x'.repeat(MAX_INVITE_NAME_BYTES));
    expect(cleanDisplayName('a\ud800b')).toBe('ab');
  });

  it('throws on programmer mistakes, naming the argument', () => {
    expect(() => createInvite({ inviterKey: new Uint8Array(31), now: NOW, random: rnd })).toThrow(/inviterKey/);
    expect(() => createInvite({ inviterKey: inviter.publicKey, now: NOW, ttlMs: 0, random: rnd })).toThrow(/ttlMs/);
    const invite = createInvite({ inviterKey: inviter.publicKey, now: NOW, random: rnd });
    expect(() => encodeInvite({ ...invite, name: 'x'.repeat(65) })).toThrow(/invite.name/);
    expect(() => encodeInvite({ ...invite, expiresAt: 1.5 })).toThrow(/expiresAt/);
    expect(() => inviteLink('https://a/#x', invite)).toThrow(/origin/);
  });

  it('round-trips any invite (property)', () => {
    fc.assert(
      fc.property(arbInvite, (invite) => {
        expect(ok(parseInvite(encodeInvite(invite), NOW))).toEqual(invite);
        expect(ok(parseInvite(inviteLink('http://localhost:8080/', invite), NOW))).toEqual(invite);
      }),
      { numRuns: 100 },
    );
  });

  it('accepts the link as pasted from chat apps: white space, line breaks, invisible characters, wrapping', () => {
    const v = vectors.invites[0]!;
    const expected = ok(parseInvite(v.link, NOW));
    const wrapped = v.link.replace(/(.{30})/g, '$1\n');
    const variants = [
      `  ${v.link}\n`,
      wrapped,
      v.link.replace(/(.{17})/g, '$1 \u200B'),
      `<${v.link}>`,
      `"${v.link}".`,
      `Join me on Parley:\r\n${v.link}`,
      v.code,
      `\t${v.code.slice(0, 50)}\r\n${v.code.slice(50)} `,
      `${v.code}==`.slice(0, v.code.length + ((4 - (v.code.length % 4)) % 4)),
      v.link.replace('#invite=', '#foo=1&invite='),
    ];
    for (const text of variants) expect(ok(parseInvite(text, NOW)), JSON.stringify(text)).toEqual(expected);
  });

  it('refuses an expired invite, saying when it expired', () => {
    const v = vectors.invites[1]!;
    expect(parseInvite(v.link, v.expiresAt - 1).ok).toBe(true);
    const r = parseInvite(v.link, v.expiresAt);
    expect(r).toMatchObject({ ok: false, code: 'INVITE_EXPIRED' });
    if (!r.ok) expect(r.message).toContain('expired on 2027-01-15 at 09:00 UTC');
  });

  it('gives actionable failures for links that are not invites or are cut short', () => {
    const v = vectors.invites[0]!;
    for (const text of ['https://parley.example/', 'https://parley.example/#room=abc', '']) {
      const r = parseInvite(text, NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe('INVITE_MALFORMED');
        expect(r.message).toMatch(/invite/i);
      }
    }
    const cut = parseInvite(v.link.slice(0, -10), NOW);
    expect(cut).toMatchObject({ ok: false });
    if (!cut.ok) {
      expect(['INVITE_MALFORMED', 'INVITE_TAMPERED']).toContain(cut.code);
      expect(cut.message).toContain('ask your friend to send it again');
    }
    expect(parseInvite('AAAA', NOW)).toMatchObject({ ok: false, code: 'INVITE_MALFORMED' });
  });

  it('tells a newer version from a damaged link', () => {
    const bytes = fromBase64Url(vectors.invites[0]!.code)!;
    const body = bytes.slice(0, -4);
    body[0] = 2;
    expect(parseInvite(withChecksum(body), NOW)).toMatchObject({ ok: false, code: 'INVITE_VERSION' });
    body[0] = 0;
    expect(parseInvite(withChecksum(body), NOW)).toMatchObject({ ok: false, code: 'INVITE_MALFORMED' });
  });

  it('refuses a well-checksummed invite with an invalid key, bad layout or bad name', () => {
    const body = fromBase64Url(vectors.invites[1]!.code)!.slice(0, -4);
    const smallOrder = body.slice();
    smallOrder.fill(0, 1, 33);
    smallOrder[1] = 1; // the identity point
    expect(parseInvite(withChecksum(smallOrder), NOW)).toMatchObject({
      ok: false,
      code: 'INVITE_MALFORMED',
      step: 'parse invite: inviter key',
    });
    const badLength = body.slice();
    badLength[103] = 5;
    expect(parseInvite(withChecksum(badLength), NOW)).toMatchObject({ ok: false, code: 'INVITE_MALFORMED' });
    const badUtf8 = Uint8Array.from([...body.slice(0, 103), 2, 0xc3, 0x28]);
    expect(parseInvite(withChecksum(badUtf8), NOW)).toMatchObject({
      ok: false,
      code: 'INVITE_MALFORMED',
      step: 'parse invite: name',
    });
    const control = Uint8Array.from([...body.slice(0, 103), 2, 0x41, 0x07]);
    expect(parseInvite(withChecksum(control), NOW)).toMatchObject({
      ok: false,
      code: 'INVITE_MALFORMED',
      step: 'parse invite: name',
    });
  });

  it('attack: a single flipped bit anywhere is INVITE_TAMPERED, never an exception (property)', () => {
    fc.assert(
      fc.property(arbInvite, fc.nat(), (invite, n) => {
        const bytes = fromBase64Url(encodeInvite(invite))!;
        const bit = n % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = parseInvite(toBase64Url(bytes), NOW);
        expect(r).toMatchObject({ ok: false, code: 'INVITE_TAMPERED' });
      }),
      { numRuns: 300 },
    );
  });

  it('attack: a changed character of the link is refused with a typed failure (property)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(arbInvite, fc.nat(), fc.integer({ min: 1, max: 63 }), (invite, n, shift) => {
        const code = encodeInvite(invite);
        const i = n % code.length;
        const changed = alphabet[(alphabet.indexOf(code[i]!) + shift) % 64]!;
        const r = parseInvite(
          inviteLink('https://x.example', invite).replace(code, code.slice(0, i) + changed + code.slice(i + 1)),
          NOW,
        );
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['INVITE_TAMPERED', 'INVITE_MALFORMED']).toContain(r.code);
      }),
      { numRuns: 300 },
    );
  });

  it('the name is only a hint: a forwarder can rewrite it, but not the key it introduces', () => {
    const v = vectors.invites[0]!;
    const body = fromBase64Url(v.code)!.slice(0, -4);
    const name = Buffer.from('Your Bank');
    const forged = Uint8Array.from([...body.subarray(0, 103), name.length, ...name]);
    const r = ok(parseInvite(withChecksum(forged), NOW));
    expect(r.name).toBe('Your Bank');
    expect(toHex(r.inviterKey)).toBe(v.inviterKey); // who you will actually talk to is unchanged
  });

  it('attack: whoever rewrites the whole link can swap in their key — and the safety number shows it', () => {
    const invitee = identityFromSeed(hex('11'.repeat(32)));
    const mallory = identityFromSeed(hex('66'.repeat(32)));
    const body = fromBase64Url(vectors.invites[1]!.code)!.slice(0, -4);
    body.set(mallory.publicKey, 1);
    const forged = ok(parseInvite(withChecksum(body), NOW)); // the checksum is not a MAC, by design
    expect(toHex(forged.inviterKey)).toBe(toHex(mallory.publicKey));
    expect(safetyNumber(invitee.publicKey, forged.inviterKey)).not.toBe(
      safetyNumber(invitee.publicKey, inviter.publicKey),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.uint8Array().map((b) => toBase64Url(b)),
        ),
        (text) => {
          const r = parseInvite(text, NOW);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok)
            expect(['INVITE_MALFORMED', 'INVITE_TAMPERED', 'INVITE_EXPIRED', 'INVITE_VERSION']).toContain(r.code);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('invite proof', () => {
  const inviteSecret = rnd(32);
  const handshakeSecret = rnd(32);

  it('verifies a proof made with the same invite secret and session', () => {
    expect(verifyInviteProof(inviteSecret, handshakeSecret, inviteProof(inviteSecret, handshakeSecret))).toBe(true);
  });

  it('attack: a cold caller without the invite secret cannot make a proof', () => {
    expect(verifyInviteProof(inviteSecret, handshakeSecret, inviteProof(rnd(32), handshakeSecret))).toBe(false);
    expect(verifyInviteProof(inviteSecret, handshakeSecret, new Uint8Array(32))).toBe(false);
  });

  it('attack: a proof replayed on another session (another handshake secret) fails', () => {
    const seen = inviteProof(inviteSecret, handshakeSecret);
    expect(verifyInviteProof(inviteSecret, rnd(32), seen)).toBe(false);
  });

  it('attack: any flipped bit or wrong length fails, without throwing (property)', () => {
    const proof = inviteProof(inviteSecret, handshakeSecret);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (bit) => {
        const p = proof.slice();
        p[bit >> 3]! ^= 1 << (bit & 7);
        return !verifyInviteProof(inviteSecret, handshakeSecret, p);
      }),
    );
    expect(verifyInviteProof(inviteSecret, handshakeSecret, proof.subarray(0, 31))).toBe(false);
    expect(verifyInviteProof(inviteSecret, handshakeSecret, new Uint8Array(0))).toBe(false);
  });

  it('throws on wrongly sized secrets (programmer mistakes)', () => {
    expect(() => inviteProof(new Uint8Array(16), handshakeSecret)).toThrow(/inviteSecret/);
    expect(() => inviteProof(inviteSecret, new Uint8Array(16))).toThrow(/handshakeSecret/);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { base58, base64Core, findLeaks, assertNoLeaks, MIN_SECRET_LENGTH } from './leakscan';

const key = Uint8Array.from(Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'));
const frame = (data: string) => JSON.stringify({ type: 'message', room: 'r'.repeat(43), data });

describe('leakscan', () => {
  it('base58 matches the bitcoin alphabet known answers', () => {
    // From the base58 test vectors used by bitcoin core (src/test/data/base58_encode_decode.json).
    expect(base58(Buffer.from('61', 'hex'))).toBe('2g');
    expect(base58(Buffer.from('626262', 'hex'))).toBe('a3gV');
    expect(base58(Buffer.from('00000000000000000000', 'hex'))).toBe('1111111111');
    expect(base58(Buffer.from('00eb15231dfceb60925886b67d065299925915aeb172c06647', 'hex'))).toBe(
      '1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L',
    );
    expect(base58(Buffer.from('516b6fcd0f', 'hex'))).toBe('ABnLTmg');
  });

  it('finds a key in hex, lower, upper and mixed case', () => {
    const hex = Buffer.from(key).toString('hex');
    for (const h of [hex, hex.toUpperCase(), hex.slice(0, 20).toUpperCase() + hex.slice(20)]) {
      const leaks = findLeaks([{ label: 'key', value: key }], [frame(`xx${h}yy`)]);
      expect(leaks.map((l) => l.encoding)).toEqual(['hex']);
    }
  });

  it('finds a key inside a larger base64 / base64url blob at every byte alignment, padded or not', () => {
    for (const url of [false, true]) {
      for (let before = 0; before < 6; before++) {
        const blob = Buffer.concat([randomBytes(before), Buffer.from(key), randomBytes(before % 4)]);
        const text = blob.toString(url ? 'base64url' : 'base64');
        const leaks = findLeaks([{ label: 'key', value: key }], ['noise', frame(text)]);
        expect(leaks.length, `url=${url} before=${before}`).toBeGreaterThan(0);
        expect(leaks[0]!.frameIndex).toBe(1);
        expect(leaks[0]!.alignment).toBe(before % 3);
        expect(['base64', 'base64url']).toContain(leaks[0]!.encoding);
      }
    }
  });

  it('tells base64url from base64 when the encodings differ', () => {
    // 0xfb 0xff … encodes to characters + / in base64 and - _ in base64url.
    const secret = Uint8Array.from([0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe]);
    const leaks = findLeaks([{ label: 's', value: secret }], [Buffer.from(secret).toString('base64url')]);
    expect(leaks.map((l) => l.encoding)).toEqual(['base64url']);
    const leaks2 = findLeaks([{ label: 's', value: secret }], [Buffer.from(secret).toString('base64')]);
    expect(leaks2.map((l) => l.encoding)).toEqual(['base64']);
  });

  it('finds a DTLS fingerprint written as colon-separated hex, as in SDP', () => {
    const fp = Uint8Array.from(randomBytes(32));
    const line = `a=fingerprint:sha-256 ${Buffer.from(fp).toString('hex').toUpperCase().match(/../g)!.join(':')}`;
    expect(findLeaks([{ label: 'dtls', value: fp }], [`v=0\r\n${line}\r\n`]).map((l) => l.encoding)).toEqual([
      'hex-separated',
    ]);
  });

  it('scans binary frames too', () => {
    const bin = Uint8Array.from(Buffer.concat([randomBytes(7), Buffer.from(key), randomBytes(3)]));
    expect(findLeaks([{ label: 'key', value: key }], [bin]).map((l) => l.encoding)).toEqual(['latin1']);
  });

  it('finds a key in base58', () => {
    const leaks = findLeaks([{ label: 'key', value: key }], [frame(`@${base58(key)}.ed25519`)]);
    expect(leaks.map((l) => l.encoding)).toContain('base58');
  });

  it('finds strings raw, JSON-escaped and encoded', () => {
    const sdpLine = 'a=fingerprint:sha-256 AB:CD:EF:01:23:45';
    const candidate = 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n';
    expect(findLeaks([{ label: 'sdp', value: sdpLine }], [`v=0\r\n${sdpLine}\r\n`])[0]!.encoding).toBe('text');
    expect(findLeaks([{ label: 'cand', value: candidate }], [JSON.stringify({ c: candidate })])[0]!.encoding).toBe(
      'json-text',
    );
    expect(
      findLeaks([{ label: 'sdp', value: sdpLine }], [Buffer.from(`x${sdpLine}`).toString('base64url')]).length,
    ).toBeGreaterThan(0);
    expect(
      findLeaks([{ label: 'sdp', value: sdpLine }], [Buffer.from(sdpLine).toString('hex').toUpperCase()])[0]!.encoding,
    ).toBe('hex');
  });

  it('finds raw bytes in a binary frame read as latin1', () => {
    const bin = Buffer.concat([randomBytes(10), Buffer.from(key), randomBytes(10)]).toString('latin1');
    expect(findLeaks([{ label: 'key', value: key }], [bin]).map((l) => l.encoding)).toContain('latin1');
  });

  it('does not report random frames (no false positives)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 4096 }),
        (secret, size) => {
          const data = randomBytes(size);
          const frames = [
            frame(data.toString('base64url')),
            data.toString('hex'),
            data.toString('base64'),
            base58(data),
          ];
          return (
            findLeaks(
              [
                { label: 'secret', value: secret },
                { label: 'str', value: Buffer.from(secret).toString('hex').slice(0, 20) + 'zz' },
              ],
              frames,
            ).length === 0
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('assertNoLeaks throws with a readable report, and passes clean frames', () => {
    expect(() =>
      assertNoLeaks([{ label: 'alice key', value: key }], [frame(Buffer.from(key).toString('base64url'))]),
    ).toThrow(/alice key as base64/);
    expect(() =>
      assertNoLeaks([{ label: 'alice key', value: key }], [frame(randomBytes(64).toString('base64url'))]),
    ).not.toThrow();
  });

  it('refuses secrets too short to scan for', () => {
    expect(() => findLeaks([{ label: 'tiny', value: new Uint8Array(MIN_SECRET_LENGTH - 1) }], [])).toThrow(/tiny/);
  });

  it('base64Core only keeps characters that depend on the secret alone', () => {
    const secret = randomBytes(32);
    for (const alignment of [0, 1, 2]) {
      const a = Buffer.concat([Buffer.alloc(alignment, 0x00), secret, Buffer.from([0x00])]).toString('base64');
      const b = Buffer.concat([Buffer.alloc(alignment, 0xff), secret, Buffer.from([0xff])]).toString('base64');
      const core = base64Core(secret, alignment, false);
      expect(a).toContain(core);
      expect(b).toContain(core);
      expect(core.length).toBeGreaterThanOrEqual(41);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import bsc from '../vectors/box-stream-c.json';
import py from '../vectors/python-ssb-shs-boxstream.json';
import { BoxStreamReader, BoxStreamWriter, incrementNonce } from '../support/boxstream';

const require = createRequire(import.meta.url);
// The reference implementation (chloride → sodium-native), CommonJS and untyped.
const pull = require('pull-stream') as any;
const boxes = require('pull-box-stream') as any;

/** Runs `chunks` through the reference encrypter and returns the bytes it emits. */
function referenceSeal(key: Uint8Array, nonce: Uint8Array, chunks: Uint8Array[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    pull(
      pull.values(chunks.map((c) => Buffer.from(c))),
      boxes.createBoxStream(Buffer.from(key), Buffer.from(nonce)),
      pull.collect((err: unknown, out: Buffer[]) => (err ? reject(err) : resolve(new Uint8Array(Buffer.concat(out))))),
    );
  });
}
/** Runs wire bytes through the reference decrypter: the plaintexts, and the error (if any). */
function referenceOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  wire: Uint8Array,
): Promise<{ plains: Uint8Array[]; err: unknown }> {
  return new Promise((resolve) => {
    pull(
      pull.values([Buffer.from(wire)]),
      boxes.createUnboxStream(Buffer.from(key), Buffer.from(nonce)),
      pull.collect((err: unknown, out: Buffer[]) => resolve({ plains: out.map((b) => new Uint8Array(b)), err })),
    );
  });
}

describe('box-stream known answers (box-stream-c)', () => {
  const key = hexToBytes(bsc.key);
  const nonce = hexToBytes(bsc.nonce);
  it('seals plain1, plain2 and the goodbye to the vector headers and packets', () => {
    const w = new BoxStreamWriter(key, nonce);
    const p1 = w.packet(hexToBytes(bsc.plain1));
    const p2 = w.packet(hexToBytes(bsc.plain2));
    expect(bytesToHex(p1)).toBe(bsc.header1 + bsc.packet1);
    expect(bytesToHex(p2)).toBe(bsc.header2 + bsc.packet2);
    expect(bytesToHex(w.goodbye())).toBe(bsc.final_header);
    expect(bytesToHex(nonce)).toBe(bsc.nonce); // the caller's nonce is not mutated
  });
  it('opens the vector stream and sees the goodbye as a clean end', () => {
    const r = new BoxStreamReader(key, nonce);
    const out = r.readAll(hexToBytes(bsc.header1 + bsc.packet1 + bsc.header2 + bsc.packet2 + bsc.final_header));
    expect(out.map((o) => (o.kind === 'data' ? bytesToHex(o.plain) : o.kind))).toEqual([
      bsc.plain1,
      bsc.plain2,
      'goodbye',
    ]);
  });
  it('rejects tampered_packet1 under header1 (and so does the reference)', async () => {
    const wire = hexToBytes(bsc.header1 + bsc.tampered_packet1);
    expect(new BoxStreamReader(key, nonce).readAll(wire)).toEqual([{ kind: 'error', what: 'body' }]);
    const ref = await referenceOpen(key, nonce, wire);
    expect(ref.plains).toEqual([]);
    expect(String(ref.err)).toMatch(/invalid packet/);
  });
  it('increments the 24-byte nonce big-endian with carries, as BigInt arithmetic does', () => {
    const start = hexToBytes(bsc.nonce_carry_start);
    const big = (b: Uint8Array) => BigInt('0x' + bytesToHex(b));
    for (const by of [1, 2, 255, 256, 300, 767, 768, 1000]) {
      expect(big(incrementNonce(start, by))).toBe((big(start) + BigInt(by)) % (1n << 192n));
    }
    expect(bytesToHex(incrementNonce(start, 767))).toBe('ff'.repeat(24)); // …fd00 + 0x2ff: every byte 0xff
    expect(bytesToHex(incrementNonce(start, 768))).toBe('00'.repeat(24)); // one more carries through all 24 bytes
    expect(bytesToHex(incrementNonce(hexToBytes('ff'.repeat(24))))).toBe('00'.repeat(24)); // wraps like sodium_increment
  });
  it('matches the reference through nonce carries and the wrap (start near the top of the range)', async () => {
    const start = hexToBytes(bsc.nonce_carry_start);
    const chunks = Array.from({ length: 400 }, (_, i) => new Uint8Array([i, i + 1, i + 2]));
    const w = new BoxStreamWriter(key, start);
    const mine = new Uint8Array(chunks.flatMap((c) => [...w.packet(c)]).concat([...w.goodbye()]));
    expect(bytesToHex(await referenceSeal(key, start, chunks))).toBe(bytesToHex(mine));
  });
});

describe('box-stream known answers (python-ssb client → server)', () => {
  const v = py.boxstream_client_to_server;
  const key = hexToBytes(py.client_encrypt_key);
  const nonce = hexToBytes(py.client_encrypt_nonce);
  const enc = new TextEncoder();
  it('seals "foo", "foo", "bar" and the goodbye byte for byte', () => {
    const w = new BoxStreamWriter(key, nonce);
    expect(v.plaintexts_utf8.map((s) => bytesToHex(w.packet(enc.encode(s))))).toEqual(v.wire_chunks);
    expect(bytesToHex(w.goodbye())).toBe(v.goodbye);
  });
  it('the reference seals the same bytes, and our reader opens them', async () => {
    const ref = await referenceSeal(
      key,
      nonce,
      v.plaintexts_utf8.map((s) => enc.encode(s)),
    );
    expect(bytesToHex(ref)).toBe(v.wire_chunks.join('') + v.goodbye);
    const out = new BoxStreamReader(key, nonce).readAll(ref);
    expect(out.map((o) => (o.kind === 'data' ? new TextDecoder().decode(o.plain) : o.kind))).toEqual([
      ...v.plaintexts_utf8,
      'goodbye',
    ]);
  });
});

describe('box-stream against the reference (property)', () => {
  it('random chunks: our writer equals pull-box-stream, and each opens the other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 9000 }), { minLength: 0, maxLength: 5 }),
        async (key, nonce, chunks) => {
          const w = new BoxStreamWriter(key, nonce);
          const parts = chunks.map((c) => w.write(c)).concat([w.goodbye()]);
          const mine = new Uint8Array(parts.flatMap((p) => [...p]));
          expect(bytesToHex(await referenceSeal(key, nonce, chunks))).toBe(bytesToHex(mine));
          const ref = await referenceOpen(key, nonce, mine);
          expect(ref.err).toBeFalsy();
          expect(bytesToHex(new Uint8Array(ref.plains.flatMap((p) => [...p])))).toBe(
            bytesToHex(new Uint8Array(chunks.flatMap((c) => [...c]))),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

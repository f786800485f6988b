/**
 * Box-stream (Scuttlebutt Protocol Guide, "Box stream"), the reference framing for SHS keys,
 * written for known-answer tests and as the benchmark's pure-JS cross-check. Not used by Parley
 * itself (see docs/protocol-frames.md for why Parley frames differ).
 *
 * Per packet: header nonce N, body nonce N+1, then N += 2. Body = secretbox(plain, N+1), split
 * into its 16-byte MAC and the ciphertext; header = secretbox(len u16 BE ‖ bodyMac, N) (34 bytes);
 * on the wire header ‖ ciphertext. Goodbye = secretbox(18 zero bytes, N).
 */
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';

export const BOX_HEADER_LENGTH = 34;
export const BOX_MAX_BODY = 4096;

/** The 24-byte big-endian increment libsodium's `sodium_increment` does (wraps at the top). Returns a copy. */
export function incrementNonce(nonce: Uint8Array, by = 1): Uint8Array {
  const out = nonce.slice();
  for (let n = 0; n < by; n++) {
    for (let i = out.length - 1; i >= 0; i--) {
      out[i] = (out[i]! + 1) & 0xff;
      if (out[i] !== 0) break;
    }
  }
  return out;
}

export class BoxStreamWriter {
  private nonce: Uint8Array;
  constructor(
    private readonly key: Uint8Array,
    nonce: Uint8Array,
  ) {
    this.nonce = nonce.slice();
  }
  /** One packet (header ‖ body ciphertext) for 1..4096 plaintext bytes. */
  packet(plain: Uint8Array): Uint8Array {
    if (plain.length < 1 || plain.length > BOX_MAX_BODY) throw new RangeError(`plain: 1..${BOX_MAX_BODY} bytes`);
    const body = xsalsa20poly1305(this.key, incrementNonce(this.nonce)).encrypt(plain); // mac ‖ ciphertext
    const headerPlain = new Uint8Array(18);
    new DataView(headerPlain.buffer).setUint16(0, plain.length);
    headerPlain.set(body.subarray(0, 16), 2);
    const header = xsalsa20poly1305(this.key, this.nonce).encrypt(headerPlain);
    this.nonce = incrementNonce(this.nonce, 2);
    const out = new Uint8Array(BOX_HEADER_LENGTH + plain.length);
    out.set(header);
    out.set(body.subarray(16), BOX_HEADER_LENGTH);
    return out;
  }
  /** Any length: split into packets of at most 4096 bytes, concatenated. */
  write(plain: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < plain.length; i += BOX_MAX_BODY) parts.push(this.packet(plain.subarray(i, i + BOX_MAX_BODY)));
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  goodbye(): Uint8Array {
    return xsalsa20poly1305(this.key, this.nonce).encrypt(new Uint8Array(18));
  }
}

export type BoxRead =
  { kind: 'data'; plain: Uint8Array } | { kind: 'goodbye' } | { kind: 'error'; what: 'header' | 'body' | 'short' };

export class BoxStreamReader {
  private nonce: Uint8Array;
  private ended = false;
  constructor(
    private readonly key: Uint8Array,
    nonce: Uint8Array,
  ) {
    this.nonce = nonce.slice();
  }
  /** Reads every packet of `bytes` (which must hold whole packets). */
  readAll(bytes: Uint8Array): BoxRead[] {
    const out: BoxRead[] = [];
    let at = 0;
    while (at < bytes.length && !this.ended) {
      if (bytes.length - at < BOX_HEADER_LENGTH) {
        out.push({ kind: 'error', what: 'short' });
        break;
      }
      let header: Uint8Array;
      try {
        header = xsalsa20poly1305(this.key, this.nonce).decrypt(bytes.subarray(at, at + BOX_HEADER_LENGTH));
      } catch {
        out.push({ kind: 'error', what: 'header' });
        this.ended = true;
        break;
      }
      at += BOX_HEADER_LENGTH;
      if (header.every((b) => b === 0)) {
        out.push({ kind: 'goodbye' });
        this.ended = true;
        break;
      }
      const length = new DataView(header.buffer, header.byteOffset).getUint16(0);
      if (bytes.length - at < length) {
        out.push({ kind: 'error', what: 'short' });
        break;
      }
      const boxed = new Uint8Array(16 + length);
      boxed.set(header.subarray(2, 18));
      boxed.set(bytes.subarray(at, at + length), 16);
      try {
        out.push({ kind: 'data', plain: xsalsa20poly1305(this.key, incrementNonce(this.nonce)).decrypt(boxed) });
      } catch {
        out.push({ kind: 'error', what: 'body' });
        this.ended = true;
        break;
      }
      at += length;
      this.nonce = incrementNonce(this.nonce, 2);
    }
    return out;
  }
}

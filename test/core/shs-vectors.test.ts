/** Known-answer test: python-ssb's whole SHS run, byte for byte, through both crypto paths. */
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import vectors from '../vectors/python-ssb-shs-boxstream.json';
import { ShsClient, ShsServer, networkKeyFromFingerprints } from '../../src/core/shs';
import { PROVIDERS, hex, keyPairFromSeed, pump, unhex } from './shs-helpers';

const v = vectors;
const serverKeys = keyPairFromSeed(unhex(v.server_longterm_seed));
const clientKeys = keyPairFromSeed(unhex(v.client_longterm_seed));

describe.each(PROVIDERS)('SHS known answers (python-ssb vectors), %s path', (_name, path) => {
  it('network key of the vectors is sha256("app_key")', () => {
    expect(hex(sha256(new TextEncoder().encode('app_key')))).toBe(v.app_key);
  });

  it('both roles reproduce msg1–msg4, the shared secret, session keys and nonces', async () => {
    const networkKey = unhex(v.app_key);
    const seen: string[] = [];
    const client = new ShsClient({
      networkKey,
      identity: clientKeys,
      serverPublicKey: serverKeys.publicKey,
      now: 0,
      ephemeralSecret: unhex(v.client_ephemeral_sk),
      crypto: path,
    });
    const server = new ShsServer({
      networkKey,
      identity: serverKeys,
      now: 0,
      ephemeralSecret: unhex(v.server_ephemeral_sk),
      crypto: path,
      authorize: (pk) => {
        seen.push(hex(pk));
        return true;
      },
    });
    const r = await pump(client, server);
    expect(hex(r.transcript.msg1!)).toBe(v.msg1_client_hello);
    expect(hex(r.transcript.msg2!)).toBe(v.msg2_server_hello);
    expect(hex(r.transcript.msg3!)).toBe(v.msg3_client_auth);
    expect(hex(r.transcript.msg4!)).toBe(v.msg4_server_accept);
    expect(seen).toEqual([hex(clientKeys.publicKey)]);
    const c = r.clientSession!,
      s = r.serverSession!;
    expect(hex(c.handshakeSecret)).toBe(v.shared_secret);
    expect(hex(sha256(unhex(v.box_secret)))).toBe(v.shared_secret);
    expect(hex(s.handshakeSecret)).toBe(v.shared_secret);
    expect(hex(c.encryptKey)).toBe(v.client_encrypt_key);
    expect(hex(c.decryptKey)).toBe(v.client_decrypt_key);
    expect(hex(c.encryptNonce)).toBe(v.client_encrypt_nonce);
    expect(hex(c.decryptNonce)).toBe(v.client_decrypt_nonce);
    // The server's directions mirror the client's.
    expect(hex(s.decryptKey)).toBe(v.client_encrypt_key);
    expect(hex(s.encryptKey)).toBe(v.client_decrypt_key);
    expect(hex(s.decryptNonce)).toBe(v.client_encrypt_nonce);
    expect(hex(s.encryptNonce)).toBe(v.client_decrypt_nonce);
    expect(hex(c.remotePublicKey)).toBe(hex(serverKeys.publicKey));
    expect(hex(s.remotePublicKey)).toBe(hex(clientKeys.publicKey));
  });

  it('accepts the vectors byte by byte (one byte per receive call)', async () => {
    const networkKey = unhex(v.app_key);
    const server = new ShsServer({
      networkKey,
      identity: serverKeys,
      now: 0,
      ephemeralSecret: unhex(v.server_ephemeral_sk),
      crypto: path,
      authorize: () => true,
    });
    const feed = async (m: Uint8Array) => {
      let last;
      for (const b of m) last = await server.receive(Uint8Array.of(b), 1);
      return last!;
    };
    const s2 = await feed(unhex(v.msg1_client_hello));
    expect(s2.ok && hex(s2.send!)).toBe(v.msg2_server_hello);
    const s4 = await feed(unhex(v.msg3_client_auth));
    expect(s4.ok && hex(s4.send!)).toBe(v.msg4_server_accept);
    expect(s4.ok && hex(s4.session!.handshakeSecret)).toBe(v.shared_secret);
  });

  it('client handles msg2 and msg4 arriving in one chunk with trailing frame bytes as rest', async () => {
    const networkKey = unhex(v.app_key);
    const client = new ShsClient({
      networkKey,
      identity: clientKeys,
      serverPublicKey: serverKeys.publicKey,
      now: 0,
      ephemeralSecret: unhex(v.client_ephemeral_sk),
      crypto: path,
    });
    await client.start();
    const frame = unhex(v.boxstream_client_to_server.wire_chunks[0]!);
    const s = await client.receive(
      new Uint8Array([...unhex(v.msg2_server_hello), ...unhex(v.msg4_server_accept), ...frame]),
      1,
    );
    expect(s.ok && hex(s.send!)).toBe(v.msg3_client_auth);
    expect(s.ok && hex(s.session!.encryptKey)).toBe(v.client_encrypt_key);
    expect(s.ok && hex(s.rest!)).toBe(hex(frame));
  });
});

describe('networkKeyFromFingerprints', () => {
  it('is sha256("parley/shs/1" ‖ low ‖ high), independent of argument order', () => {
    const a = new Uint8Array(32).fill(7),
      b = new Uint8Array(32).fill(3);
    const expected = sha256(new Uint8Array([...new TextEncoder().encode('parley/shs/1'), ...b, ...a]));
    expect(hex(networkKeyFromFingerprints(a, b))).toBe(hex(expected));
    expect(hex(networkKeyFromFingerprints(b, a))).toBe(hex(expected));
    const c = b.slice();
    c[31] = 4;
    expect(hex(networkKeyFromFingerprints(a, c))).not.toBe(hex(expected));
  });
  it('throws on a non-byte argument', () => {
    expect(() => networkKeyFromFingerprints('x' as never, new Uint8Array(32))).toThrow(/a: expected Uint8Array/);
  });
});

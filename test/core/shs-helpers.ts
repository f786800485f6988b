/** Shared helpers for the SHS tests: keys, hex, and a pump that runs two machines against each other. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  ShsClient,
  ShsServer,
  type CryptoPath,
  type ShsCrypto,
  type Ed25519KeyPair,
  type ShsErrorCode,
  type ShsStep,
  type ShsSession,
} from '../../src/core/shs';
import type { Failure } from '../../src/core/errors';
import { nodeShsCrypto } from '../../src/node/shs-node-crypto';

export const hex = bytesToHex;
export const unhex = hexToBytes;

export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  const publicKey = ed25519.getPublicKey(seed);
  const secretKey = new Uint8Array(64);
  secretKey.set(seed);
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

export function randomKeyPair(): Ed25519KeyPair {
  return keyPairFromSeed(crypto.getRandomValues(new Uint8Array(32)));
}

export function isFailure(s: ShsStep | null): s is Failure<ShsErrorCode> {
  return s !== null && !s.ok;
}

/** Every message each side put on the wire, in order. */
export interface Transcript {
  msg1?: Uint8Array;
  msg2?: Uint8Array;
  msg3?: Uint8Array;
  msg4?: Uint8Array;
}

export interface Outcome {
  transcript: Transcript;
  client: ShsStep;
  server: ShsStep;
  clientSession?: ShsSession;
  serverSession?: ShsSession;
}

/**
 * Runs a whole handshake in memory. `tamper(name, bytes)` may replace a message in flight.
 * When one side fails, the other learns the transport closed (`closed()`).
 */
export async function pump(
  client: ShsClient,
  server: ShsServer,
  tamper: (name: keyof Transcript, bytes: Uint8Array) => Uint8Array = (_n, b) => b,
): Promise<Outcome> {
  const t: Transcript = {};
  const names: (keyof Transcript)[] = ['msg1', 'msg2', 'msg3', 'msg4'];
  let c: ShsStep = await client.start();
  let s: ShsStep = { ok: true };
  let i = 0;
  const out = (): Outcome => ({
    transcript: t,
    client: c,
    server: s,
    clientSession: c.ok ? c.session : undefined,
    serverSession: s.ok ? s.session : undefined,
  });
  for (;;) {
    // client → server
    if (!c.ok) {
      s = server.closed() ?? s;
      return out();
    }
    if (c.send) {
      const m = tamper(names[i]!, c.send);
      t[names[i++]!] = m;
      s = await server.receive(m, 0);
      if (!s.ok) {
        c = client.closed() ?? c;
        return out();
      }
    }
    if (c.session) return out();
    if (!s.send) {
      c = client.closed() ?? c;
      return out();
    }
    const m = tamper(names[i]!, s.send);
    t[names[i++]!] = m;
    c = await client.receive(m, 0);
    if (c.ok && c.session) return out();
  }
}

/**
 * Every Ed25519/X25519 provider the handshake can run on: the two built-in paths and the
 * node-native one injected by node programs. Vectors, interop, differential and attack tests
 * run over all of them.
 */
export const PROVIDERS: [name: string, crypto: CryptoPath | ShsCrypto][] = [
  ['webcrypto', 'webcrypto'],
  ['noble', 'noble'],
  ['node', nodeShsCrypto],
];

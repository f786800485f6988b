/** Drives the reference npm `secret-handshake` (chloride → sodium-native) against a Parley machine in memory. */
import { createRequire } from 'node:module';
import type { ShsClient, ShsServer, ShsSession, ShsStep } from '../../src/core/shs';
import type { Ed25519KeyPair } from '../../src/core/shs';

const require = createRequire(import.meta.url);
export const referenceShs = require('secret-handshake') as any;
const pull = require('pull-stream') as any;
const Pushable = require('pull-pushable') as any;

export interface RefKeys {
  encryptKey: Uint8Array;
  decryptKey: Uint8Array;
  encryptNonce: Uint8Array;
  decryptNonce: Uint8Array;
}
export interface InteropResult {
  parley: ShsStep; // the Parley side's last step (session or Failure)
  parleySession?: ShsSession;
  reference: { ok: true; keys: RefKeys; remote: Uint8Array } | { ok: false; error: string };
}

export const toRefKeys = (k: Ed25519KeyPair) => ({
  publicKey: Buffer.from(k.publicKey),
  secretKey: Buffer.from(k.secretKey),
});
type Tamper = (direction: 'toReference' | 'toParley', index: number, bytes: Uint8Array) => Uint8Array;

/**
 * Connects `machine` to a reference stream (`createStream(cb)` returns a pull duplex). Resolves when
 * both sides have finished one way or another.
 */
export function interop(
  machine: ShsClient | ShsServer,
  createStream: (cb: (err: unknown, s?: any) => void) => any,
  tamper: Tamper = (_d, _i, b) => b,
): Promise<InteropResult> {
  return new Promise((resolve) => {
    let ref: InteropResult['reference'] | undefined;
    let parley: ShsStep | undefined;
    const finish = () => {
      if (ref && parley) resolve({ parley, parleySession: parley.ok ? parley.session : undefined, reference: ref });
    };
    const stream = createStream((err, s) => {
      ref = err
        ? { ok: false, error: String((err as Error)?.message ?? err) }
        : { ok: true, keys: s.crypto, remote: new Uint8Array(s.remote) };
      if (err && !parley) parley = machine.closed() ?? { ok: true };
      finish();
    });
    const push = Pushable();
    let sent = 0,
      received = 0;
    const send = (b: Uint8Array) => push.push(Buffer.from(tamper('toReference', sent++, b)));
    pull(push, stream.sink);
    const onStep = (r: ShsStep) => {
      if (parley) return;
      if (!r.ok) {
        parley = r;
        push.end();
        finish();
        return;
      }
      if (r.send) send(r.send);
      if (r.session) {
        parley = r;
        finish();
      }
    };
    pull(
      stream.source,
      pull.drain(
        (data: Buffer) => {
          if (parley) return false;
          void machine.receive(tamper('toParley', received++, new Uint8Array(data)), 0).then(onStep);
          return true;
        },
        () => {
          if (!parley) {
            parley = machine.closed() ?? { ok: true };
            finish();
          }
        },
      ),
    );
    if ('start' in machine) void machine.start().then(onStep);
  });
}

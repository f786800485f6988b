/** Test helpers: mirrored FrameKeys (what SHS gives the two sides) and confirmed channel pairs. */
import { randomBytes } from '@noble/hashes/utils.js';
import { FrameChannel, type AeadBackend, type FrameKeys, type FrameResult } from '../../src/core/frames';

/** Keys for side A and side B of one session: A's encrypt keys are B's decrypt keys. */
export function mirroredKeys(): { a: FrameKeys; b: FrameKeys } {
  const ab = { key: randomBytes(32), nonce: randomBytes(24) };
  const ba = { key: randomBytes(32), nonce: randomBytes(24) };
  return {
    a: { encryptKey: ab.key, encryptNonce: ab.nonce, decryptKey: ba.key, decryptNonce: ba.nonce },
    b: { encryptKey: ba.key, encryptNonce: ba.nonce, decryptKey: ab.key, decryptNonce: ab.nonce },
  };
}

export async function pair(
  aead: AeadBackend = 'auto',
  bAead: AeadBackend = aead,
): Promise<{ a: FrameChannel; b: FrameChannel; keys: { a: FrameKeys; b: FrameKeys } }> {
  const keys = mirroredKeys();
  return {
    a: await FrameChannel.create(keys.a, { aead }),
    b: await FrameChannel.create(keys.b, { aead: bAead }),
    keys,
  };
}

/** A pair that has exchanged key confirmations both ways. */
export async function confirmedPair(aead: AeadBackend = 'auto', bAead: AeadBackend = aead) {
  const p = await pair(aead, bAead);
  const [ca, cb] = [await p.a.confirmation(), await p.b.confirmation()];
  const [ra, rb] = [await p.b.open(ca), await p.a.open(cb)];
  if (!ra.ok || !rb.ok) throw new Error('confirmation failed in test setup');
  return p;
}

/** The failure code of a result, or its kind when it succeeded (for compact assertions). */
export function outcome(r: FrameResult): string {
  return r.ok ? r.kind : r.code;
}

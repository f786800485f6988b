/** A ratchet pair from a fixed session key (no kx), for the ratchet tests. */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import {
  DEFAULT_LIMITS,
  decrypt,
  generateRatchetKeyPair,
  initInitiator,
  initResponder,
  serializeState,
  type RatchetLimits,
  type RatchetState,
} from '../../src/core/ratchet';
import { seededRandom } from './kx-helpers';

export async function pair(label = 'pair', limits: Partial<RatchetLimits> = {}, ad = utf8ToBytes('test-ad')) {
  const random = seededRandom(label);
  const sessionKey = random(32);
  const bobKeys = generateRatchetKeyPair(random);
  const l = { ...DEFAULT_LIMITS, ...limits };
  return {
    a: await initInitiator({ sessionKey, remoteRatchetKey: bobKeys.publicKey, ad, limits: l, random }),
    b: initResponder({ sessionKey, ratchetKeyPair: bobKeys, ad, limits: l }),
    random,
  };
}

export const snapshot = (s: RatchetState) => JSON.stringify(serializeState(s));

/** Decrypts and returns the new state; throws with the failure's message otherwise. */
export async function mustDecrypt(
  s: RatchetState,
  msg: Uint8Array,
  now = 0,
): Promise<{ state: RatchetState; text: string }> {
  const r = await decrypt(s, msg, now);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return { state: r.newState, text: new TextDecoder().decode(r.plaintext) };
}

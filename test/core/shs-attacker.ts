/**
 * The attacker's toolkit for the SHS attack tests: the handshake's math written out again
 * independently of src/core (straight @noble calls), so an attack does what a real one would.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';

export const cat = (...p: Uint8Array[]) => {
  const o = new Uint8Array(p.reduce((n, x) => n + x.length, 0));
  let i = 0;
  for (const x of p) {
    o.set(x, i);
    i += x.length;
  }
  return o;
};
export const auth = (k: Uint8Array, m: Uint8Array) => hmac(sha512, k, m).slice(0, 32);
export const box = (k: Uint8Array, m: Uint8Array) => xsalsa20poly1305(k, new Uint8Array(24)).encrypt(m);
export const unbox = (k: Uint8Array, c: Uint8Array): Uint8Array | null => {
  try {
    return xsalsa20poly1305(k, new Uint8Array(24)).decrypt(c);
  } catch {
    return null;
  }
};
export const dh = (sk: Uint8Array, pk: Uint8Array): Uint8Array | null => {
  try {
    return x25519.getSharedSecret(sk, pk);
  } catch {
    return null;
  }
};
export const curvePublic = (edPublic: Uint8Array) => ed25519.utils.toMontgomery(edPublic);
export const curveSecret = (seed: Uint8Array) => ed25519.utils.toMontgomerySecret(seed);
export { sha256 };

/** An ephemeral key the attacker controls. */
export function ephemeral() {
  const secret = x25519.utils.randomSecretKey();
  return { secret, publicKey: x25519.getPublicKey(secret) };
}

/** msg1 or msg2: hmac_K(eph) ‖ eph. */
export const hello = (K: Uint8Array, ephPublic: Uint8Array) => cat(auth(K, ephPublic), ephPublic);

/**
 * A client's msg3 computed by hand. `sign` defaults to signing with `seed`; an attacker can
 * put in any signature and any claimed public key.
 */
export function clientAuth(o: {
  K: Uint8Array;
  ephSecret: Uint8Array;
  msg2: Uint8Array;
  serverPublic: Uint8Array;
  claimedPublic: Uint8Array;
  seed?: Uint8Array;
  signature?: Uint8Array;
}): Uint8Array {
  const b = o.msg2.subarray(32);
  const ab = dh(o.ephSecret, b)!,
    aB = dh(o.ephSecret, curvePublic(o.serverPublic))!;
  const signature = o.signature ?? ed25519.sign(cat(o.K, o.serverPublic, sha256(ab)), o.seed!);
  return box(sha256(cat(o.K, ab, aB)), cat(signature, o.claimedPublic));
}

/** Every byte encoding of `key` an eavesdropper might look for. */
export function encodings(key: Uint8Array): { name: string; bytes: Uint8Array }[] {
  const te = new TextEncoder();
  const b64 = Buffer.from(key).toString('base64');
  const b64url = Buffer.from(key).toString('base64url');
  const hexs = Buffer.from(key).toString('hex');
  return [
    { name: 'raw', bytes: key },
    { name: 'reversed', bytes: key.slice().reverse() },
    { name: 'hex', bytes: te.encode(hexs) },
    { name: 'HEX', bytes: te.encode(hexs.toUpperCase()) },
    { name: 'base64', bytes: te.encode(b64) },
    { name: 'base64url', bytes: te.encode(b64url) },
    { name: 'sha256', bytes: sha256(key) },
    // Any 8-byte window of the key: catches partial leaks too.
    ...Array.from({ length: 4 }, (_, i) => ({ name: `raw[${i * 8}..]`, bytes: key.slice(i * 8, i * 8 + 8) })),
  ];
}

/** Whether `needle` occurs anywhere in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

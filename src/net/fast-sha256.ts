/**
 * The fastest incremental SHA-256 this page or worker can have (docs/files.md §8): hash-wasm's
 * WebAssembly one (~4.5× @noble in Chromium), or @noble's where WebAssembly is missing or refused
 * (a CSP without 'wasm-unsafe-eval'). Used for the plain SHA-256 of a whole file a group offer
 * carries (src/app/group-files.ts). Transfers no longer use it: their file digest hashes each chunk
 * with WebCrypto (docs/files.md §12). WebCrypto has no incremental digest.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { createSHA256 } from 'hash-wasm';

/** Incremental SHA-256; `peek` is the digest of what was fed so far, leaving the state as it was. */
export interface FastSha256 {
  readonly impl: 'wasm' | 'noble';
  update(b: Uint8Array): void;
  peek(): Uint8Array;
  digest(): Uint8Array;
}

/** A fresh hash state, WebAssembly when it can be had. Never rejects. */
export async function createFastSha256(): Promise<FastSha256> {
  try {
    const h = await createSHA256();
    h.init();
    return {
      impl: 'wasm',
      update: (b) => {
        h.update(b);
      },
      peek: () => {
        const saved = h.save();
        const d = h.digest('binary');
        h.load(saved);
        return d;
      },
      digest: () => h.digest('binary'),
    };
  } catch {
    const h = sha256.create();
    return {
      impl: 'noble',
      update: (b) => {
        h.update(b);
      },
      peek: () => h.clone().digest(),
      digest: () => h.digest(),
    };
  }
}

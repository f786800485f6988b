/**
 * The fastest incremental SHA-256 this page or worker can have (docs/files.md §8): hash-wasm's
 * WebAssembly one (~4.5× @noble in Chromium), or @noble's where WebAssembly is missing or refused
 * (a CSP without 'wasm-unsafe-eval'). Used for whole-file hashes: by the OPFS worker over what it
 * writes, and by the sender as it reads (`fastRunningHashes`, whose state is saved for resume:
 * docs/files.md §11). WebCrypto has no incremental digest.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { createSHA256 } from 'hash-wasm';
import { nobleRunningHashes, type RunningHash, type RunningHashes } from '../core/transfer-common';

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

/** First byte of a saved {@link fastRunningHashes} state: which implementation wrote it. */
const WASM_STATE = 1,
  NOBLE_STATE = 2;

/**
 * The sender's running whole-file SHA-256 (docs/files.md §11): hash-wasm's, whose `save()`/`load()`
 * state (a few hundred bytes, any position) goes into the sender's saved state; @noble's midstate
 * where WebAssembly is refused. A state from the other implementation does not load (the sender
 * then hashes the file's prefix again).
 */
export const fastRunningHashes: RunningHashes = {
  create: async () => {
    try {
      const h = await createSHA256();
      h.init();
      return wasmRunning(h);
    } catch {
      return tagged(await nobleRunningHashes.create(), NOBLE_STATE);
    }
  },
  load: async (saved) => {
    if (saved[0] === NOBLE_STATE) return tagged(await nobleRunningHashes.load(saved.subarray(1)), NOBLE_STATE);
    if (saved[0] !== WASM_STATE) throw new TypeError('saved: not a running SHA-256 state');
    const h = await createSHA256();
    h.load(saved.subarray(1));
    return wasmRunning(h);
  },
};

function wasmRunning(h: Awaited<ReturnType<typeof createSHA256>>): RunningHash {
  return tagged(
    { update: (b) => void h.update(b), digest: () => h.digest('binary'), save: () => h.save() },
    WASM_STATE,
  );
}

function tagged(r: RunningHash, tag: number): RunningHash {
  return {
    update: (b) => r.update(b),
    digest: () => r.digest(),
    save: () => {
      const s = r.save(),
        out = new Uint8Array(s.length + 1);
      out[0] = tag;
      out.set(s, 1);
      return out;
    },
  };
}

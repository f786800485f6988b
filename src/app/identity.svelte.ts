/**
 * The local identity: created on the first visit (a fresh Ed25519 seed), kept in IndexedDB,
 * with the display name the person chooses. Reloading keeps both.
 * @module
 */
import { identityFromSeed, type Identity } from '../core/identity';
import type { KxIdentity } from '../core/kx';
import { kemKeyPairFromSeed } from '../net/session-derive';
import type { ParleyStore, IdentityRecord } from '../store/db';
import { randomBytes } from '@noble/hashes/utils.js';
import { t } from './strings';

export const MAX_NAME_LENGTH = 64;

export class IdentityState {
  record = $state.raw<IdentityRecord | null>(null);
  readonly name = $derived(this.record?.name ?? '');
  readonly needsName = $derived(this.record !== null && this.record.name === '');
  /** This visit made the identity (the first run: docs/pwa.md "Storage"). */
  created = false;

  constructor(private readonly store: ParleyStore) {}

  /** Loads the identity, creating one on the first visit. */
  async load(): Promise<void> {
    let r = await this.store.getIdentity();
    if (!r) {
      const seed = randomBytes(32);
      r = { id: 'self', seed, publicKey: identityFromSeed(seed).publicKey, name: '', createdAt: Date.now() };
      await this.store.putIdentity(r);
      this.created = true;
    }
    this.record = r;
  }

  /** The key pair in libsodium layout (secretKey = seed ‖ publicKey), as the handshake wants it. */
  keyPair(): Identity {
    const r = this.record;
    if (!r) throw new Error('IdentityState.keyPair: identity not loaded yet');
    if (this.cached?.seed !== r.seed) this.cached = { seed: r.seed, pair: identityFromSeed(r.seed) };
    const { publicKey, secretKey } = this.cached.pair;
    return { publicKey: publicKey.slice(), secretKey: secretKey.slice() };
  }
  private cached: { seed: Uint8Array; pair: Identity } | null = null;

  /**
   * Ed25519 + ML-KEM-768 keys for the pairwise kx. The KEM key is derived from the seed
   * (docs/session.md §1), so a backup of the seed restores it; it is computed once per seed.
   */
  kxIdentity(): KxIdentity {
    const ed25519 = this.keyPair();
    const seed = this.record!.seed;
    if (this.kemCached?.seed !== seed) this.kemCached = { seed, kem: kemKeyPairFromSeed(seed) };
    return { ed25519, kem: this.kemCached.kem };
  }
  private kemCached: { seed: Uint8Array; kem: KxIdentity['kem'] } | null = null;

  /**
   * Replaces the identity key with a fresh one after a suspected compromise (docs/key-change.md
   * §4): same name, contacts and history; every contact unverified; old invites dropped. Two
   * steps so a stray click cannot do it: `askRotate` shows the confirmation, `rotate` does it.
   * The caller reloads the page so every link and listener starts again with the new key.
   */
  rotateStep = $state<'idle' | 'confirm' | 'busy'>('idle');
  askRotate(): void {
    if (this.rotateStep === 'idle') this.rotateStep = 'confirm';
  }
  cancelRotate(): void {
    if (this.rotateStep === 'confirm') this.rotateStep = 'idle';
  }
  async rotate(): Promise<void> {
    if (this.rotateStep !== 'confirm' || !this.record) throw new Error('IdentityState.rotate: not confirmed');
    this.rotateStep = 'busy';
    const seed = randomBytes(32);
    const r: IdentityRecord = {
      ...this.record,
      seed,
      publicKey: identityFromSeed(seed).publicKey,
      createdAt: Date.now(),
    };
    try {
      await this.store.rotateIdentity(r);
    } finally {
      this.rotateStep = 'idle';
    }
    this.record = r;
  }

  /** Sets the display name; returns an explanation when the name cannot be used. */
  async setName(raw: string): Promise<string | null> {
    const name = raw.trim().replace(/\s+/g, ' ');
    if (!name) return t.problem.noName;
    if (name.length > MAX_NAME_LENGTH) return t.problem.nameTooLong(MAX_NAME_LENGTH);
    if (!this.record) throw new Error('IdentityState.setName: identity not loaded yet');
    const r = { ...this.record, name };
    await this.store.putIdentity(r);
    this.record = r;
    return null;
  }
}

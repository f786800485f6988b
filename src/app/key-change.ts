/**
 * A contact's identity key changed (docs/key-change.md): the pending state on the contact record,
 * what the chat says while it is pending, and accepting or refusing it. Pure functions over
 * `ContactRecord`; `ContactsState` stores their results and the components only render them.
 *
 * Why a pending state at all: anyone who holds a contact's pairing secret can reach us with a
 * key of their choosing (docs/key-change.md §3). Nothing is sent to a new key until the person
 * has seen the warning and accepted it.
 * @module
 */
import type { ContactRecord } from '../store/db';
import { isValidPublicKey, safetyNumber } from '../core/identity';
import { appError, type AppError } from './errors';
import { equalBytes } from '@noble/ciphers/utils.js';
import { formerKeysOf, withFormerKey } from './contact-guard';
import { shownName } from './names';

/** A key a contact presented that is not the one we know (docs/key-change.md §2). */
export interface KeyChange {
  /** The new Ed25519 public key (32 bytes, checked by `isValidPublicKey`). */
  newKey: Uint8Array;
  /** Our clock when that key was first seen (a repeat keeps the first time). */
  seenAt: number;
}

/** Why a key change could not be recorded or accepted. */
export type KeyChangeErrorCode = 'KEY_CHANGE_INVALID_KEY' | 'KEY_CHANGE_NONE_PENDING' | 'KEY_CHANGE_FORMER_KEY';

export class KeyChangeError extends Error {
  constructor(
    readonly code: KeyChangeErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'KeyChangeError';
  }
}

/**
 * The contact after it presented `newKey` at `now`. The known key → unchanged (a pending change
 * stays: only the person ends it). The pending key again → unchanged (keeps the first `seenAt`).
 * Any other key → pending, replacing an earlier pending key. A small-order or malformed key is
 * refused with `KEY_CHANGE_INVALID_KEY` (with such keys forged signatures verify, NOTES.md); a key
 * this contact replaced before with `KEY_CHANGE_FORMER_KEY` (whoever presents it holds an old,
 * replaced key: contact-guard.ts).
 */
export function noteKeyChange(c: ContactRecord, newKey: Uint8Array, now: number): ContactRecord {
  if (!isValidPublicKey(newKey))
    throw new KeyChangeError('KEY_CHANGE_INVALID_KEY', 'the presented key is not a valid Ed25519 public key');
  if (equalBytes(newKey, c.publicKey)) return c;
  if (formerKeysOf(c).some((k) => equalBytes(k, newKey)))
    throw new KeyChangeError('KEY_CHANGE_FORMER_KEY', `the presented key is one ${c.name} replaced before`);
  if (c.keyChange && equalBytes(c.keyChange.newKey, newKey)) return c;
  return { ...c, keyChange: { newKey: newKey.slice(), seenAt: now } };
}

/**
 * The contact after the person accepted its pending key: the new key replaces the old one,
 * `verified` is cleared (the number they compared belonged to the old key) and the pending
 * state ends. `key` (the record's id, docs/key-change.md §2) stays, so history and outbox stay.
 * The old key joins `formerKeys`: it is never paired with or accepted again (contact-guard.ts).
 */
export function acceptKeyChange(c: ContactRecord): ContactRecord {
  if (!c.keyChange) throw new KeyChangeError('KEY_CHANGE_NONE_PENDING', `no key change is pending for ${c.key}`);
  const { keyChange, ...rest } = c;
  return { ...withFormerKey(rest, c.publicKey), publicKey: keyChange.newKey.slice(), verified: false };
}

/** The contact after the person refused the pending key: the old key stays, nothing else changes. */
export function refuseKeyChange(c: ContactRecord): ContactRecord {
  if (!c.keyChange) throw new KeyChangeError('KEY_CHANGE_NONE_PENDING', `no key change is pending for ${c.key}`);
  const { keyChange: _, ...rest } = c;
  return rest;
}

/** Why nothing may be sent to this contact now, or null when sending is fine. */
export function sendBlock(c: ContactRecord | null | undefined): AppError | null {
  if (c?.blocked) return appError('CONTACT_BLOCKED', shownName(c));
  return c?.keyChange ? appError('CONTACT_KEY_CHANGED', shownName(c)) : null;
}

/** What the chat's warning shows: the new safety number (ours with the new key) and when it came. */
export interface KeyChangeWarning {
  /** The name the contact is shown by (the person's label, when there is one). */
  name: string;
  /** The name the contact chose, shown beside a label so the label cannot hide who the key claims to be. */
  chosenName: string;
  newSafetyNumber: string;
  seenAt: number;
}

/** The warning for the open chat, or null when no key change is pending. */
export function keyChangeWarning(
  c: ContactRecord | null | undefined,
  ownKey: Uint8Array | null | undefined,
): KeyChangeWarning | null {
  if (!c?.keyChange || !ownKey) return null;
  return {
    name: shownName(c),
    chosenName: c.name,
    newSafetyNumber: safetyNumber(ownKey, c.keyChange.newKey),
    seenAt: c.keyChange.seenAt,
  };
}

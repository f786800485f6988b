/** Display names from peers and links, made safe to show. @module */
import { cleanDisplayName, MAX_INVITE_NAME_BYTES } from '../core/invite';

/**
 * Bidi controls and invisible characters. A name is shown inside sentences ("Compare this number
 * with NAME, in person…"): an RLO (U+202E) there would turn the rest of the sentence around, and
 * a zero-width space makes "Ali\u200Bce" look exactly like "Alice". ZWJ/ZWNJ stay (emoji
 * sequences and some scripts need them); `nameSkeleton` ignores them when comparing.
 */
const BIDI_AND_INVISIBLE = /[\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

/** A display name from a peer or a link, cleaned (or '' when nothing is left). */
export function cleanName(n: unknown): string {
  return typeof n === 'string' ? (cleanDisplayName(n.replace(BIDI_AND_INVISIBLE, '')) ?? '') : '';
}

/** What a name looks like, for telling names apart: NFKC, lower case, no format characters or spaces. */
export function nameSkeleton(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/[\p{Cf}\s]/gu, '')
    .toLowerCase();
}

/**
 * `name` as the contact with key `key` is shown: when another contact already shows the same
 * name (by {@link nameSkeleton}), a " (2)", " (3)", … is added, so a peer cannot pass for another
 * contact by taking their name in `hello` or at pairing. Stays within the display-name limit.
 */
export function distinctName(name: string, key: string, contacts: readonly { key: string; name: string }[]): string {
  const taken = new Set(contacts.filter((c) => c.key !== key).map((c) => nameSkeleton(c.name)));
  if (!taken.has(nameSkeleton(name))) return name;
  for (let i = 2; ; i++) {
    const suffix = ` (${i})`;
    const base = cleanDisplayName(name, MAX_INVITE_NAME_BYTES - new TextEncoder().encode(suffix).length) ?? '';
    const candidate = base + suffix;
    if (!taken.has(nameSkeleton(candidate))) return candidate;
  }
}

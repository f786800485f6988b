/**
 * Display names from peers and links, made safe to show, and look-alike names told apart
 * (docs/app.md "On every link", docs/security.md "Spoofed names").
 * @module
 */
import { MAX_INVITE_NAME_BYTES } from '../core/invite';
import { cleanPeerText, MAX_CONTACT_LABEL_BYTES } from '../core/peer-text';

/**
 * A display name from a peer or a link, cleaned (or '' when nothing is left): no control, bidi
 * or invisible characters, no pile of combining marks, white space collapsed, at most 64 UTF-8
 * bytes (`cleanPeerText`, src/core/peer-text.ts). What the backup format accepts as a name.
 */
export function cleanName(n: unknown): string {
  return typeof n === 'string' ? cleanPeerText(n, MAX_INVITE_NAME_BYTES) : '';
}

/**
 * A label the person typed for a contact, cleaned like a peer's name (`cleanPeerText`) and cut
 * to {@link MAX_CONTACT_LABEL_BYTES}; '' (nothing left) means "no label" (docs/app.md "Renaming a contact").
 */
export function cleanLabel(label: unknown): string {
  return typeof label === 'string' ? cleanPeerText(label, MAX_CONTACT_LABEL_BYTES) : '';
}

/**
 * The name a contact is shown by: the person's own label when there is one, else the name they
 * chose (docs/app.md "Renaming a contact").
 */
export function shownName(c: { name: string; label?: string }): string {
  return c.label || c.name;
}

/**
 * Unicode's confusables mapping (UTS #39, confusables.txt, through the `unhomoglyph` package):
 * ~77 KB, so it is a chunk of its own, loaded once at startup ({@link loadNameSkeleton}) instead
 * of weighing on the first paint.
 */
let confusables: ((s: string) => string) | null = null;

/** Loads the confusables table; the app awaits it before any name from a peer is judged. */
export async function loadNameSkeleton(): Promise<void> {
  confusables ??= (await import('unhomoglyph')).default;
}

/** UTS #39 skeleton: NFD, each character replaced by its confusables prototype, NFD again. */
function skeleton(s: string): string {
  if (!confusables) throw new Error('nameSkeleton: call (and await) loadNameSkeleton() first; AppState.start does');
  return confusables(s.normalize('NFD')).normalize('NFD');
}

/**
 * What a name looks like, for telling names apart: its UTS #39 skeleton ("Воb" with a Cyrillic В
 * and о, "B0b" and "Bob" agree) over NFKC without format characters or spaces, lower-cased so
 * that "ALICE" and "Alice" agree too. Lower-casing before the skeleton would miss "Iris" against
 * "lris" (capital I and small L), after it would miss "ALICE" against "Alice" (the skeleton maps
 * a capital I to a small L): so the raw and the lower-cased forms are both compared
 * ({@link nameKeys}); this is the first.
 */
export function nameSkeleton(name: string): string {
  return nameKeys(name)[0]!;
}

/** The forms of a name compared by {@link distinctName}: two names that share one look alike. */
export function nameKeys(name: string): [string, string] {
  const folded = name.normalize('NFKC').replace(/[\p{Cf}\p{Default_Ignorable_Code_Point}\s]/gu, '');
  return [skeleton(folded).toLowerCase(), skeleton(folded.toLowerCase()).toLowerCase()];
}

/**
 * `name` as the contact with key `key` is shown: when another contact already shows a name that
 * looks the same ({@link nameKeys}), a " (2)", " (3)", … is added, so a peer cannot pass for
 * another contact by taking their name — or a look-alike of it — in `hello` or at pairing. Stays
 * within the display-name limit.
 */
export function distinctName(name: string, key: string, contacts: readonly { key: string; name: string }[]): string {
  const taken = new Set(contacts.filter((c) => c.key !== key).flatMap((c) => nameKeys(c.name)));
  const free = (n: string) => !nameKeys(n).some((k) => taken.has(k));
  if (free(name)) return name;
  for (let i = 2; ; i++) {
    const suffix = ` (${i})`;
    const base = cleanPeerText(name, MAX_INVITE_NAME_BYTES - new TextEncoder().encode(suffix).length);
    const candidate = base + suffix;
    if (free(candidate)) return candidate;
  }
}

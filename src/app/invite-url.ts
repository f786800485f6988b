/**
 * Keeping an opened invite out of the browser's history (docs/app.md "Invites (invitee)";
 * README "What stays where"). The page at `/#invite=…` reads the fragment, puts it in
 * sessionStorage (this tab only, gone with it) and replaces itself with the same URL without the
 * fragment — before the app mounts, so nothing else runs on the page that carried the secret.
 * Removing the fragment is a full navigation (a URL without a fragment is not a fragment
 * navigation); the new page takes the invite out of sessionStorage once and deletes it there.
 * @module
 */

/** The sessionStorage key that carries an invite across the replacing navigation. */
export const INVITE_STASH_KEY = 'parley.invite';
const INVITE_FRAGMENT = '#invite=';

type Loc = Pick<Location, 'hash' | 'href' | 'pathname' | 'search' | 'replace'>;
type Stash = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * When the URL carries an invite: stashes the whole link and replaces the page with the URL
 * without its fragment; returns true (the page is going away: do not start the app). Returns false
 * when there is no invite, or when sessionStorage refuses (private modes may): then the app takes
 * the link from the address bar itself, as before.
 */
export function stashInviteFromUrl(loc: Loc, storage: () => Stash): boolean {
  if (!loc.hash.startsWith(INVITE_FRAGMENT)) return false;
  try {
    storage().setItem(INVITE_STASH_KEY, loc.href);
  } catch {
    return false;
  }
  loc.replace(loc.pathname + loc.search);
  return true;
}

/** The invite stashed by {@link stashInviteFromUrl}, removed from the stash (read once), or null. */
export function takeStashedInvite(storage: () => Stash): string | null {
  try {
    const s = storage();
    const link = s.getItem(INVITE_STASH_KEY);
    s.removeItem(INVITE_STASH_KEY);
    return link;
  } catch {
    return null;
  }
}

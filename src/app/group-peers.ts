/**
 * Members met through an introduction, as a `PeerDirectory` (peer-directory.ts): a `ContactPeer`
 * meets them in their reset and session rooms exactly as it meets contacts (docs/groups.md §5.4),
 * but they are not on the contact list. The contact list comes first: a key that is a contact
 * (blocked or not) is never looked up here, so blocking a contact is never undone by a group.
 * @module
 */
import type { GroupPeerRecord } from '../store/group-records';
import type { PeerDirectory, PeerRecord } from './peer-directory';

/** The group peers in memory, with where their `seen` goes. */
export function groupPeerDirectory(
  peers: () => ReadonlyMap<string, GroupPeerRecord>,
  seen: (key: string) => Promise<void>,
): PeerDirectory {
  return {
    find: (key): PeerRecord | undefined => {
      const p = peers().get(key);
      return p && { key: p.key, publicKey: p.publicKey, name: p.name, contactSecret: p.contactSecret };
    },
    seen,
    // A group peer's name is the one the admin's list gives them (docs/groups.md §5.4).
    announced: async () => {},
  };
}

/** Contacts first, then group peers for keys that are not contacts at all. */
export function withGroupPeers(
  contacts: PeerDirectory,
  isContact: (key: string) => boolean,
  groupPeers: PeerDirectory,
): PeerDirectory {
  const pick = (key: string) => (isContact(key) ? contacts : groupPeers);
  return {
    find: (key) => pick(key).find(key),
    seen: (key) => pick(key).seen(key),
    announced: (key, name) => pick(key).announced(key, name),
  };
}

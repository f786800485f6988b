/**
 * The app's network parts (docs/app.md "Meeting context"): the connection manager, the open chat's
 * route watch and pairing, made and wired to each other and to the parts they serve; and the order
 * they start in, once this tab owns the network (docs/tabs.md).
 * @module
 */
import type { ParleyStore } from '../store/db';
import { ConnectionManager, type ConnectionHooks } from './connections.svelte';
import type { IdentityState } from './identity.svelte';
import type { ContactsState } from './contacts.svelte';
import type { TransfersState } from './transfers.svelte';
import type { GroupsState } from './groups.svelte';
import { PairingState } from './pairing.svelte';
import type { PairingServices } from './invite-rendezvous';
import { RouteWatch } from './route-watch.svelte';
import { shownName } from './names';
import { t } from './strings';

/** What the network parts are made from: the stored parts they serve, and the app's hooks. */
export interface NetworkDeps {
  readonly store: ParleyStore;
  readonly identity: IdentityState;
  readonly contacts: ContactsState;
  readonly transfers: TransfersState;
  /** Members met through group introductions are met like contacts; group invites vouch for whoever pairs. */
  readonly groups: GroupsState | null;
  readonly hooks: ConnectionHooks;
}

export interface NetworkParts {
  readonly connections: ConnectionManager;
  readonly pairing: PairingState;
  /** The open chat's route line (docs/app.md "Network: TURN and relay-only"). */
  readonly route: RouteWatch;
}

/** Makes the connection manager, the route watch and pairing; nothing starts yet. */
export function buildNetwork(deps: NetworkDeps, origin: URL): NetworkParts {
  const { store, identity, contacts, transfers, groups, hooks } = deps;
  const cm = new ConnectionManager(store, identity, contacts, hooks, groups?.directory);
  const route = new RouteWatch({
    stats: (key) => cm.linkStats(key),
    transferring: (key) => transfers.list(key).some((t) => t.status === 'active'),
    name: (key) => {
      const c = contacts.get(key);
      return c ? shownName(c) : t.status.someContact;
    },
  });
  transfers.gate = (key) => cm.refusal(key, 'transfer');
  const attach: PairingServices['attach'] = (contact, link, role, early) => cm.attach(contact.key, link, role, early);
  // Pairing meets invitees through the same relay, ICE servers and room budget as the contacts.
  const paired: PairingServices['paired'] = (contact, inviteId) => void groups?.invitedPaired(contact, inviteId);
  const pairing = new PairingState(cm.meeting, { store, identity, contacts, hooks, attach, paired }, origin.origin);
  return { connections: cm, pairing, route };
}

/**
 * Starts the network in the tab that owns it: the transfers of every contact, the relay and the
 * links, the groups, the invites listened on, then `afterwards` (an invite waiting to be opened).
 */
export async function startNetwork(
  parts: NetworkParts & Pick<NetworkDeps, 'contacts' | 'transfers' | 'groups'>,
  origin: URL,
  afterwards: () => Promise<void>,
): Promise<void> {
  const { connections: cm, pairing, contacts, transfers } = parts;
  await transfers.open(contacts.list.map((c) => c.key));
  await cm.start(origin);
  parts.groups?.start(cm);
  await pairing.resume();
  await afterwards();
}

/**
 * Group members over real links, for node tests and benchmarks (docs/groups.md §10, §13): each
 * member runs the app's real group code — `GroupEngine` over `GroupStore` and `ContactSessions` on
 * an in-memory IndexedDB (the caller imports `fake-indexeddb/auto`) — and `LinkTraffic` carries the
 * pairwise outboxes on each live link, as `ContactPeer` does. Links are real: `openLink` through the
 * real relay, node-datachannel on loopback (candidates wait for the remote description inside
 * simple-peer), the secret handshake, the kx and the ratchets. Every member treats every other as a
 * contact (a pairwise peer's id is its key), so a group needs no introductions.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/core/identity';
import type { KxIdentity, KxRole } from '../../src/core/kx';
import type { SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions } from '../../src/store/contact-sessions';
import { GroupStore } from '../../src/store/group-store';
import { GroupEngine } from '../../src/app/group-engine';
import { LinkTraffic } from '../../src/app/session-traffic';
import { openLinkPair } from './link-pair';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export interface GroupMember {
  name: string;
  id: Identity;
  kx: KxIdentity;
  key: string;
  sig: SignalingClient;
  db: ParleyStore;
  sessions: ContactSessions;
  store: GroupStore;
  engine: GroupEngine;
  /** The live link's traffic to each other member, by their key. */
  traffic: Map<string, { link: SecureLink; traffic: LinkTraffic }>;
  /** Storage failures, refusals and interference seen (a healthy run has none). */
  problems: string[];
  /** Called when a group's row or timeline changed (the UI would reload it). */
  groupChanged: ((group: string | null) => void) | null;
  /** Called when 1:1 chat records were written (the UI would show them). */
  chatChanged: ((from: string, ids: string[]) => void) | null;
}

/** A member with its own database; `everyone` lists the members it treats as contacts. */
export async function groupMember(
  name: string,
  sig: SignalingClient,
  everyone: () => GroupMember[],
): Promise<GroupMember> {
  const seed = random(32);
  const id = generateIdentity(() => seed.slice());
  const db = await ParleyStore.open(`group-member-${name}-${bytesToHex(random(8))}`);
  const sessions = new ContactSessions(db.database);
  const store = new GroupStore(db.database);
  const m: GroupMember = {
    name,
    id,
    kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) },
    key: bytesToHex(id.publicKey),
    sig,
    db,
    sessions,
    store,
    engine: null as unknown as GroupEngine,
    traffic: new Map(),
    problems: [],
    groupChanged: null,
    chatChanged: null,
  };
  m.engine = new GroupEngine({
    store,
    self: () => ({ me: id, name }),
    peers: () => ({ linked: new Set(everyone().map((o) => o.key)), peerOf: (k) => k, keyOf: (p) => p }),
    flush: (ids) => {
      for (const peer of ids) void m.traffic.get(peer)?.traffic.flush();
    },
    changed: (g) => m.groupChanged?.(g),
  });
  sessions.onGroupInbox = () => void m.engine.process().catch((e: unknown) => m.problems.push(String(e)));
  return m;
}

/** The app's traffic on one end of a link, registered until the link closes. */
function carry(me: GroupMember, them: GroupMember, link: SecureLink, role: KxRole): LinkTraffic {
  const t = new LinkTraffic(
    link,
    them.key,
    me.sessions,
    { role, identity: me.kx, held: me.sessions.sessionId(them.key), force: false },
    {
      messagesChanged: (ids) => me.chatChanged?.(them.key, ids),
      storageFailed: () => me.problems.push(`storage failed with ${them.name}`),
      refused: (f) => me.problems.push(`refused from ${them.name}: ${f.code}`),
      interfered: (f) => me.problems.push(`interfered with ${them.name}: ${f.code}`),
    },
  );
  me.traffic.set(them.key, { link, traffic: t });
  link.onClose(() => {
    if (me.traffic.get(them.key)?.link === link) me.traffic.delete(them.key);
  });
  return t;
}

/**
 * A link between two members in a fresh room (the lower key dials), with the app's traffic on both
 * ends; resolves once the pairwise session is agreed. `track` gets both ends (to close them later).
 */
export async function connectMembers(
  a: GroupMember,
  b: GroupMember,
  track: (...links: SecureLink[]) => void,
): Promise<void> {
  const [server, client] = a.key < b.key ? [b, a] : [a, b];
  const [s, c] = await openLinkPair(server, client, 20_000);
  if (s.ok) track(s.link);
  if (c.ok) track(c.link);
  if (!s.ok || !c.ok) throw new Error(`${a.name}–${b.name}: no link (${s.ok ? '' : s.code} ${c.ok ? '' : c.code})`);
  const ready = [carry(server, client, s.link, 'responder').ready, carry(client, server, c.link, 'initiator').ready];
  if (!(await Promise.all(ready)).every((x) => x.ok)) throw new Error(`${a.name}–${b.name}: session setup failed`);
}

/** Closes every link of `m` (both ends hear it). */
export function disconnect(m: GroupMember): Promise<unknown> {
  return Promise.all([...m.traffic.values()].map((t) => t.link.close()));
}

/** Polls `ok` every 50 ms until it holds; fails after `ms` naming `what`. */
export async function until(what: string, ok: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

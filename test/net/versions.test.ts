/**
 * Versions that meet (docs/protocol.md "Compatibility") between two node peers over real links
 * (node-datachannel on loopback, the real relay), with the app's real chat traffic (`LinkTraffic`,
 * `ContactSessions` on an in-memory IndexedDB, `FileKeyLink`): one peer runs the same code
 * configured as an older version (one injected `Announcement`), the other as the current one.
 * Chat works both ways; what the older one cannot take is not sent and the sender is told why;
 * nothing is sealed more often than the outbox's normal resend (once per link); both outboxes
 * drain. And a message that arrives without a live link (as through the mailbox) that the
 * receiver cannot use is receipted as `unsupported` and marked "not shown" — or, to a sender
 * that did not announce that flavour, receipted plainly so it stops resending.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity, type Identity } from '../../src/core/identity';
import { announcement, CURRENT, maySend, receiptType, type Announcement } from '../../src/core/features';
import type { KxIdentity, KxRole } from '../../src/core/kx';
import { openLink, type LinkOptions, type SecureLink } from '../../src/net/link';
import type { SignalingClient } from '../../src/net/signaling';
import { kemKeyPairFromSeed } from '../../src/net/session-derive';
import { FileKeyLink } from '../../src/net/file-key-link';
import { ParleyStore } from '../../src/store/db';
import { ContactSessions, type SessionReceiveOutcome } from '../../src/store/contact-sessions';
import { GroupStore } from '../../src/store/group-store';
import { LinkTraffic } from '../../src/app/session-traffic';
import { sendRefusal } from '../../src/app/peer-features';
import { nodeWrtc } from '../support/wrtc';
import { linkFixture } from '../support/link-fixture';

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const fx = linkFixture();
const WITH_GROUPS = CURRENT;
const NO_GROUPS = announcement(2, ['file-key', 'unsupported-ack']);
const NO_FILE_KEY = announcement(2, ['unsupported-ack']);
/** The build before files were sealed once (transfer protocol 1): file keys, groups, no `file-chunk-v2`. */
const FILES_V1 = announcement(2, ['file-key', 'groups', 'unsupported-ack']);

/** One side: identity, its store and sessions configured with `own`, and what happened to it. */
interface Side {
  id: Identity;
  kx: KxIdentity;
  key: string;
  own: Announcement | null;
  sig: SignalingClient;
  store: ParleyStore;
  sessions: ContactSessions;
  /** Outcome kinds of every ratchet message it took, and refusals. */
  took: string[];
  refused: string[];
  /** How often each outbox entry was sealed. */
  sealed: Map<string, number>;
  withheld: string[];
  interfered: string[];
}

async function side(own: Announcement | null): Promise<Side> {
  const seed = random(32);
  const id = generateIdentity(() => seed.slice());
  const store = await ParleyStore.open(`versions-${bytesToHex(random(8))}`);
  const sessions = new ContactSessions(store.database, Date.now, {}, own);
  const s: Side = {
    id,
    kx: { ed25519: id, kem: kemKeyPairFromSeed(seed) },
    key: bytesToHex(id.publicKey),
    own,
    sig: await fx.signaling(),
    store,
    sessions,
    took: [],
    refused: [],
    sealed: new Map(),
    withheld: [],
    interfered: [],
  };
  const receive = sessions.receive.bind(sessions);
  sessions.receive = async (contact, wire): Promise<SessionReceiveOutcome> => {
    const r = await receive(contact, wire);
    if (r.status === 'ok') s.took.push(r.kind);
    return r;
  };
  const seal = sessions.sealEntry.bind(sessions);
  sessions.sealEntry = async (contact, id) => {
    s.sealed.set(id, (s.sealed.get(id) ?? 0) + 1);
    return seal(contact, id);
  };
  return s;
}

/** A link in a fresh room: `server` authorizes only `client`; each announces its own configuration. */
async function link(server: Side, client: Side): Promise<[SecureLink, SecureLink]> {
  const common = { rendezvousSecret: random(32), iceServers: [], wrtc: nodeWrtc, timeoutMs: 15_000 };
  const [s, c] = await Promise.all([
    openLink({
      ...common,
      signaling: server.sig,
      identity: server.id,
      features: server.own,
      shs: { role: 'server', authorize: (k) => bytesToHex(k) === client.key },
    } satisfies LinkOptions),
    openLink({
      ...common,
      signaling: client.sig,
      identity: client.id,
      features: client.own,
      shs: { role: 'client', serverPublicKey: server.id.publicKey },
    } satisfies LinkOptions),
  ]);
  if (!s.ok || !c.ok) throw new Error(`no link: ${s.ok ? '' : s.code} ${c.ok ? '' : c.code}`);
  fx.track(s.link, c.link);
  return [s.link, c.link];
}

/** The app's traffic on one end of a link (as `ContactPeer.attach` starts it). */
function traffic(me: Side, them: Side, l: SecureLink, role: KxRole): LinkTraffic {
  return new LinkTraffic(
    l,
    them.key,
    me.sessions,
    { role, identity: me.kx, held: me.sessions.sessionId(them.key), force: false, fileKey: new FileKeyLink(l, role) },
    {
      messagesChanged: () => {},
      storageFailed: () => me.refused.push('STORAGE_FAILED'),
      refused: (f) => me.refused.push(f.code),
      withheld: (ids, feature) => me.withheld.push(...ids.map((i) => `${i}:${feature}`)),
      interfered: (f) => me.interfered.push(f.code),
    },
  );
}

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Queues one copy of a group message from `from` to `to` as the group code does (docs/groups.md §10.2); its outbox id. */
async function queueGroupCopy(from: Side, to: Side): Promise<string> {
  const group = 'ab'.repeat(32);
  await new GroupStore(from.store.database).commit({
    outgoing: [{ to: to.key, group, bytes: Uint8Array.of(1, 2, 3) }],
  });
  return (await from.sessions.pendingIds(to.key)).at(-1)!;
}

const texts = async (s: Side, contact: Side, direction: 'in' | 'out') =>
  (await s.store.database.getAll('messages'))
    .filter((m) => m.contact === contact.key && m.direction === direction)
    .sort((a, b) => a.sentAt - b.sentAt);

async function drained(a: Side, b: Side): Promise<boolean> {
  return (await a.sessions.pendingIds(b.key)).length === 0 && (await b.sessions.pendingIds(a.key)).length === 0;
}

describe('versions that meet, over real links', () => {
  it('a version-1 peer and a current one with groups: chat both ways, the group message withheld and the sender told, nothing resealed, both outboxes drain', async () => {
    const old = await side(null); // announces nothing, takes only what version 1 takes
    const cur = await side(WITH_GROUPS);
    await cur.sessions.write(old.key, 'hello from the new one', 1000);
    const group = await queueGroupCopy(cur, old);
    await cur.sessions.write(old.key, 'after the group message', 1002);
    await old.sessions.write(cur.key, 'hello from the old one', 1003);

    const [lo, lc] = await link(old, cur); // the current one dials: it is the kx initiator
    const ready = [traffic(old, cur, lo, 'responder').ready, traffic(cur, old, lc, 'initiator').ready];
    expect((await Promise.all(ready)).map((r) => r.ok)).toEqual([true, true]);
    expect(await lo.features).toEqual({ own: null, peer: WITH_GROUPS });
    expect(await lc.features).toEqual({ own: WITH_GROUPS, peer: null });

    await until('both outboxes drain', () => drained(old, cur));
    await until('the old side shows both chats', async () => (await texts(old, cur, 'in')).length === 2);
    expect((await texts(old, cur, 'in')).map((m) => m.text)).toEqual([
      'hello from the new one',
      'after the group message',
    ]);
    expect((await texts(cur, old, 'in')).map((m) => m.text)).toEqual(['hello from the old one']);
    // The sender was told why; it never went out.
    expect(cur.withheld).toEqual([`${group}:groups`]);
    expect(cur.sealed.has(group)).toBe(false);
    // Once per link, and everything delivered: no resend beyond the outbox's normal one.
    expect([...cur.sealed.values(), ...old.sealed.values()].every((n) => n === 1)).toBe(true);
    expect((await texts(cur, old, 'out')).filter((m) => m.delivered).length).toBe(2);
    // The version-1 side refused nothing: the current side sent it only what version 1 takes.
    expect(old.refused).toEqual([]);
    expect(old.took.every((k) => ['chat', 'receipt', 'resume', 'file-key'].includes(k))).toBe(true);
    expect(cur.interfered).toEqual([]);
    expect(old.interfered).toEqual([]);
  }, 60_000);

  it('a peer without file keys and a current one: chat both ways, no file key and no file offer goes to it (the sender is told why), outboxes drain', async () => {
    const old = await side(NO_FILE_KEY);
    const cur = await side(CURRENT);
    await cur.sessions.write(old.key, 'one', 2000);
    await old.sessions.write(cur.key, 'two', 2001);
    const [lc, lo] = await link(cur, old); // this time the older one dials
    const [to, tc] = [traffic(old, cur, lo, 'initiator'), traffic(cur, old, lc, 'responder')];
    expect((await Promise.all([to.ready, tc.ready])).map((r) => r.ok)).toEqual([true, true]);
    await until('both outboxes drain', () => drained(old, cur));
    expect((await texts(old, cur, 'in')).map((m) => m.text)).toEqual(['one']);
    expect((await texts(cur, old, 'in')).map((m) => m.text)).toEqual(['two']);
    // Both announced, so both confirmed the announcements first; no file key crossed either way.
    expect(old.took[0]).toBe('features-check');
    expect(cur.took[0]).toBe('features-check');
    expect([...old.took, ...cur.took]).not.toContain('file-key');
    expect([...old.took, ...cur.took]).not.toContain('unsupported');
    // A file offer is refused up front, with the reason and a stable code.
    const refusal = sendRefusal(await lc.features, 'transfer', 'Bob');
    expect(refusal).toMatchObject({ code: 'PEER_TOO_OLD' });
    expect(refusal?.message).toMatch(/Bob's Parley is older/);
    expect(refusal?.action).toMatch(/reload/);
    expect(sendRefusal(await lc.features, 'chat', 'Bob')).toBeNull();
    expect([...cur.sealed.values(), ...old.sealed.values()].every((n) => n === 1)).toBe(true);
    expect([...old.refused, ...cur.refused, ...old.interfered, ...cur.interfered]).toEqual([]);
  }, 60_000);

  it('the build before files were sealed once (no file-chunk-v2) and a current one: chat and file keys both ways, but no transfer either way, each side told in words', async () => {
    const old = await side(FILES_V1);
    const cur = await side(CURRENT);
    await cur.sessions.write(old.key, 'one', 3000);
    await old.sessions.write(cur.key, 'two', 3001);
    const [lo, lc] = await link(old, cur);
    const [to, tc] = [traffic(old, cur, lo, 'responder'), traffic(cur, old, lc, 'initiator')];
    expect((await Promise.all([to.ready, tc.ready])).map((r) => r.ok)).toEqual([true, true]);
    await until('both outboxes drain', () => drained(old, cur));
    expect((await texts(old, cur, 'in')).map((m) => m.text)).toEqual(['one']);
    // Both sides still have file keys; what differs is the transfer protocol.
    await until(
      'file keys cross both ways',
      async () => old.took.includes('file-key') && cur.took.includes('file-key'),
    );
    const [fc, fo] = [await lc.features, await lo.features];
    // Neither side hands its link to the transfers (ContactPeer.attach's rule), so no protocol-2
    // offer reaches a protocol-1 decoder and no TRANSFER_VERSION reaches anyone.
    expect(fc && maySend(fc.own, fc.peer, 'transfer')).toBe(false);
    expect(fo && maySend(fo.own, fo.peer, 'transfer')).toBe(false);
    // The current side's offer is refused up front, saying whose Parley is older and what to do.
    const refusal = sendRefusal(fc, 'transfer', 'Bob');
    expect(refusal).toMatchObject({ code: 'PEER_TOO_OLD' });
    expect(refusal?.message).toBe("Bob's Parley is older and cannot receive files from this version.");
    expect(refusal?.action).toMatch(/^Ask Bob to reload Parley/);
    // The page configured as the older build refuses its own offer as too old itself.
    expect(sendRefusal(fo, 'transfer', 'Alice')).toMatchObject({ code: 'VERSION_TOO_OLD' });
    expect(sendRefusal(fc, 'chat', 'Bob')).toBeNull();
    // A peer announcing file-chunk-v3 without file keys cannot take transfers either.
    const half = announcement(2, ['file-chunk-v3', 'unsupported-ack']);
    expect(maySend(CURRENT, half, 'transfer')).toBe(false);
    // Nor the build before the file digest of chunk digests (docs/files.md §12): its digest differs.
    const beforeDigest = announcement(2, ['file-chunk-v2', 'file-key', 'groups', 'unsupported-ack']);
    expect(maySend(CURRENT, beforeDigest, 'transfer')).toBe(false);
    expect(sendRefusal({ own: CURRENT, peer: beforeDigest }, 'transfer', 'Bob')).toMatchObject({
      code: 'PEER_TOO_OLD',
      message: "Bob's Parley is older and cannot receive files from this version.",
    });
    expect(maySend(CURRENT, CURRENT, 'transfer')).toBe(true);
    expect([...old.refused, ...cur.refused, ...old.interfered, ...cur.interfered]).toEqual([]);
  }, 60_000);

  it('without a live link (as through the mailbox): a message the receiver cannot use is receipted "unsupported" and marked not shown; to a sender that did not announce that flavour, a plain receipt; a version-1 receiver refuses it and the next link moves past it', async () => {
    const cur = await side(WITH_GROUPS);
    const older = await side(NO_GROUPS); // takes no group messages, acknowledges what it cannot use
    const v1 = await side(null);
    // Sessions come from real links; then the links close.
    for (const other of [older, v1]) {
      const [lo, lc] = await link(other, cur);
      const t = [traffic(other, cur, lo, 'responder'), traffic(cur, other, lc, 'initiator')];
      expect((await Promise.all(t.map((x) => x.ready))).map((r) => r.ok)).toEqual([true, true]);
      await until('the check both ways', async () => other.took.includes('features-check') || other.own === null);
      await Promise.all([lo.close(), lc.close()]);
    }

    // The current side queues a group message to the older one and seals it with no link up.
    const g = await queueGroupCopy(cur, older);
    const wire = await cur.sessions.sealEntry(older.key, g);
    const resent = await cur.sessions.sealEntry(older.key, g); // as if its receipt were lost
    const r = await older.sessions.receive(cur.key, wire!);
    expect(r).toMatchObject({ status: 'ok', kind: 'unsupported', receipts: [g], unsupported: [g], changed: [] });
    // The copy is recognised by its id and receipted again, still as unsupported.
    const dup = await older.sessions.receive(cur.key, resent!);
    expect(dup).toMatchObject({ status: 'ok', kind: 'unsupported', receipts: [g], unsupported: [g] });
    expect(await texts(older, cur, 'in')).toEqual([]); // nothing stored
    expect(await older.store.database.getAll('groupInbox')).toEqual([]);
    // Its answer: `unsupported` to a sender that announced it, a plain receipt to one that did not.
    expect(receiptTypeFor(older, cur)).toBe('unsupported');
    expect(receiptTypeFor(older, v1)).toBe('receipt');
    const back = await older.sessions.sealControl(cur.key, { type: 'unsupported', id: g });
    expect(await cur.sessions.receive(older.key, back!)).toMatchObject({
      status: 'ok',
      kind: 'not-shown',
      changed: [], // a group copy has no chat record to mark
    });
    expect(await cur.sessions.pendingIds(older.key)).toEqual([]);

    // A version-1 receiver refuses what it cannot take, as version 1 did: no receipt, nothing stored.
    const g1 = await queueGroupCopy(cur, v1);
    await cur.sessions.write(v1.key, 'plain chat after it', 3101);
    const refused = await v1.sessions.receive(cur.key, (await cur.sessions.sealEntry(v1.key, g1))!);
    expect(refused).toMatchObject({ status: 'rejected', failure: { code: 'SESSION_BAD_PAYLOAD' } });
    // The next link: the group message is withheld (not sealed again), the resume point moves past
    // it, the chat after it is delivered, and both outboxes drain.
    cur.sealed.clear();
    const [lv, lc] = await link(v1, cur);
    await Promise.all([traffic(v1, cur, lv, 'responder').ready, traffic(cur, v1, lc, 'initiator').ready]);
    await until('both outboxes drain', () => drained(v1, cur));
    await until('the chat arrives', async () => (await texts(v1, cur, 'in')).length === 1);
    expect((await texts(v1, cur, 'in')).map((m) => m.text)).toEqual(['plain chat after it']);
    expect(cur.sealed.has(g1)).toBe(false);
    expect(cur.withheld).toContain(`${g1}:groups`);
    expect(v1.refused).toEqual([]);
  }, 90_000);
});

/** The receipt `from` sends for a message it could not use, to `to` (as LinkTraffic picks it). */
function receiptTypeFor(from: Side, to: Side): 'receipt' | 'unsupported' {
  return receiptType(true, from.own, to.own);
}

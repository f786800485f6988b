/**
 * Groups as the UI shows them (docs/groups.md §10): the list of groups, the open group's members
 * (with whether a link to each is up) and timeline, and the actions the person takes — each handed
 * to the {@link GroupEngine}. Also wires the engine to the rest of the app: the group inbox
 * (`ContactSessions.onGroupInbox`), the members' links (`ConnectionManager`), and introductions
 * (`IntroMeetings`), whose meetings make group peers that a `ContactPeer` then meets like a contact.
 * How a record and a member look on screen is group-views.ts.
 * @module
 */
import { acrossTabs, GROUPS_LOCK } from './network-owner';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { deriveContactSecret } from '../core/rendezvous';
import type { KxRole } from '../core/kx';
import type { SecureLink } from '../net/link';
import type { ParleyStore } from '../store/db';
import { GroupStore } from '../store/group-store';
import type { GroupMessageRecord, GroupPeerRecord, GroupRecord } from '../store/group-records';
import { GroupEngine } from './group-engine';
import { groupPeerDirectory } from './group-peers';
import { IntroMeetings, type IntroTarget } from './group-intros';
import { timelineOrder } from './group-step';
import { groupView, memberViews, type GroupView, type MemberView } from './group-views';
import { adminAway, adminAwayText } from './group-admin-away';
import type { PeerDirectory } from './peer-directory';
import type { ConnectionManager } from './connections.svelte';
import type { ContactsState } from './contacts.svelte';
import type { IdentityState } from './identity.svelte';
import { MAX_TEXT_LENGTH } from './chat.svelte';
import { appError } from './errors';
import { t } from './strings';
import type { PairingState } from './pairing.svelte';
import type { ContactRecord } from '../store/db';
import { parseInvite } from '../core/invite';
import { groupInviteLink } from '../core/group-invite';
import { GroupFileFlow } from './group-file-flow';
import type { TransfersState } from './transfers.svelte';

export class GroupsState {
  groups = $state.raw<GroupView[]>([]);
  selectedId = $state<string | null>(null);
  /** The open group's timeline, in the order every member shows (docs/groups.md §6.1). */
  timeline = $state.raw<GroupMessageRecord[]>([]);
  /** The last action's problem, for the open group. */
  problem = $state<string | null>(null);
  /** Told after this tab changed a group (the other tabs re-read them: docs/tabs.md §3). */
  changed: (() => void) | null = null;
  private peerMap = $state.raw(new Map<string, GroupPeerRecord>());
  readonly store: GroupStore;
  readonly engine: GroupEngine;
  /** Members met through introductions, for the connection manager's directory. */
  readonly directory: PeerDirectory;
  private intros: IntroMeetings | null = null;
  private readonly db: ParleyStore;
  /** The open group's invite link, once made (docs/groups.md §4.5). */
  inviteLink = $state<string | null>(null);
  private records = $state.raw<GroupRecord[]>([]);
  private transfers: TransfersState | null = null;
  /** Files in groups (docs/groups.md §7). */
  readonly files: GroupFileFlow;

  readonly selected = $derived(this.groups.find((g) => g.id === this.selectedId) ?? null);
  /** The open group's members with their link state. */
  readonly members = $derived.by((): MemberView[] => {
    const g = this.selected;
    if (!g) return [];
    const states = this.connections()?.peers ?? {};
    return memberViews(g, { me: this.meHex(), states, contacts: this.contacts.list, peerOf: (k) => this.peerOf(k) });
  });

  /**
   * While the admin has no live link: what of this device's waits for them (docs/groups.md §10.3
   * "Admin offline"), as the sentence the chat shows; null when nothing waits.
   */
  readonly adminAway = $derived.by((): string | null => {
    const rec = this.records.find((r) => r.id === this.selectedId);
    if (!rec) return null;
    const away = adminAway(rec, {
      meHex: this.meHex(),
      connected: this.members.find((m) => m.isAdmin)?.connected ?? false,
      linked: this.linked(),
      nameOf: (hex) => this.contacts.list.find((c) => bytesToHex(c.publicKey) === hex)?.name,
    });
    return away && adminAwayText(away);
  });

  /** Contacts who may be chosen for a new group (not blocked). */
  readonly choosable = $derived.by(() => this.contacts.list.filter((c) => !c.blocked));
  /** Contacts who may be added to the open group: not blocked, not on its list. */
  readonly addable = $derived.by(() => {
    const on = new Set(this.selected?.members.map((m) => m.key) ?? []);
    return this.choosable.filter((c) => !on.has(bytesToHex(c.publicKey)));
  });

  constructor(
    db: ParleyStore,
    private readonly identity: IdentityState,
    private readonly contacts: ContactsState,
    private readonly connections: () => ConnectionManager | null,
    private readonly pairing: () => PairingState | null = () => null,
  ) {
    this.db = db;
    this.store = new GroupStore(db.database);
    this.directory = groupPeerDirectory(
      () => this.peerMap,
      (key) => this.store.touchPeer(key, Date.now()),
    );
    this.files = new GroupFileFlow({
      engine: () => this.engine,
      store: this.store,
      transfers: () => this.transfers,
      records: () => this.records,
      peerOf: (k) => this.peerOf(k),
    });
    this.engine = new GroupEngine({
      files: this.files.server,
      store: this.store,
      self: () => ({ me: identity.keyPair(), name: identity.name }),
      peers: () => ({ linked: this.linked(), peerOf: (k) => this.peerOf(k), keyOf: (p) => this.keyOf(p) }),
      flush: (ids) => {
        for (const id of ids) void this.connections()?.flush(id);
      },
      changed: () => {
        void this.reload();
        this.changed?.();
      },
      exclusive: acrossTabs(GROUPS_LOCK),
    });
  }

  private meHex(): string {
    const r = this.identity.record;
    return r ? bytesToHex(r.publicKey) : '';
  }

  /** Keys (hex) of everyone with a pairwise relationship: contacts (by current key) and group peers. */
  private linked(): Set<string> {
    return new Set([...this.contacts.list.map((c) => bytesToHex(c.publicKey)), ...this.peerMap.keys()]);
  }
  private peerOf(memberHex: string): string {
    return this.contacts.list.find((c) => bytesToHex(c.publicKey) === memberHex)?.key ?? memberHex;
  }
  private keyOf(peerId: string): string {
    const c = this.contacts.get(peerId);
    return c ? bytesToHex(c.publicKey) : peerId;
  }

  /** Reads the groups; `transfers` then carry group files (docs/groups.md §7). */
  async load(transfers?: TransfersState): Promise<void> {
    if (transfers) this.useTransfers(transfers);
    this.peerMap = new Map((await this.store.peers()).map((p) => [p.key, p]));
    await this.reload();
  }

  /** Starts taking group messages and meeting introduced members (after the relay is opening). */
  start(cm: ConnectionManager): void {
    cm.sessions.onGroupInbox = () => void this.engine.process().catch(() => this.failed());
    cm.groupPeerKeys = () => [...this.peerMap.keys()].filter((k) => !this.contacts.get(k));
    this.intros = new IntroMeetings(cm.meeting, this.identity, (t, link, role) => this.met(t, link, role));
    for (const key of this.peerMap.keys()) if (!this.contacts.get(key)) cm.meetAgain(key);
    void this.engine.process().catch(() => this.failed());
    this.syncIntros();
  }

  private failed(): void {
    this.problem = `${appError('STORAGE_FAILED').message} (STORAGE_FAILED)`;
  }

  private async met(t: IntroTarget, link: SecureLink, role: KxRole): Promise<void> {
    const cm = this.connections();
    if (!cm) return void link.close().catch(() => {});
    const name = this.groups.flatMap((g) => g.members).find((m) => m.key === t.key)?.name ?? t.key.slice(0, 8);
    const contactSecret = deriveContactSecret(link.handshakeSecret);
    await this.engine.introduced({ key: t.key, publicKey: t.publicKey, name, contactSecret });
    this.peerMap = new Map((await this.store.peers()).map((p) => [p.key, p]));
    await cm.attach(t.key, link, role);
  }

  /** Re-reads the groups (≤ 64) and the open timeline; restarts introductions as they changed. */
  private async reload(): Promise<void> {
    this.records = await this.store.list();
    this.groups = this.records.map(groupView(this.meHex())).sort((a, b) => a.name.localeCompare(b.name));
    await this.loadTimeline();
    this.syncIntros();
  }

  private async loadTimeline(): Promise<void> {
    const id = this.selectedId;
    const rows = id ? await this.store.messages(id) : [];
    if (this.selectedId === id) this.timeline = rows.sort(timelineOrder);
  }

  private syncIntros(): void {
    const linked = this.linked();
    const targets: IntroTarget[] = [];
    const add = (key: string, i: { rendezvousSecret: Uint8Array; expiresAt: number }) => {
      if (!linked.has(key)) targets.push({ key, publicKey: hexToBytes(key), ...i });
    };
    for (const r of this.records) {
      if (r.state !== 'member') continue;
      for (const i of r.introsMade) add(i.to, i);
      for (const i of r.introsAccepted) add(i.from, i);
    }
    this.intros?.sync(targets);
  }

  async select(id: string | null): Promise<void> {
    if (id !== this.selectedId) this.inviteLink = null;
    this.selectedId = id;
    this.problem = null;
    await this.loadTimeline();
  }

  /** Makes a group with the chosen contacts (by contact key). */
  async create(name: string, contactKeys: string[]): Promise<string | null> {
    const members = contactKeys.flatMap((k) => {
      const c = this.contacts.get(k);
      return c ? [{ key: c.publicKey, name: c.name }] : [];
    });
    if (!name.trim()) return t.groupProblem.noName;
    if (members.length === 0) return t.groupProblem.noMembers;
    return this.act(() => this.engine.create(name, members), true);
  }

  async send(raw: string): Promise<string | null> {
    const text = raw.replace(/\s+$/, '');
    if (!this.selectedId || !text.trim()) return null;
    if (text.length > MAX_TEXT_LENGTH) return t.groupProblem.tooLong(MAX_TEXT_LENGTH);
    return this.act(() => this.engine.send(this.selectedId!, text));
  }

  private useTransfers(transfers: TransfersState): void {
    this.transfers = transfers;
    transfers.onTransfer = (key, e) => this.files.onTransfer(key, e);
  }

  /** Offers files to the open group, or answers an offer in its timeline (docs/groups.md §7). */
  async offerFiles(files: File[]): Promise<void> {
    if (this.selectedId) this.problem = await this.files.offer(this.selectedId, files);
  }
  async acceptFile(rowId: string): Promise<void> {
    if (this.selectedId) this.problem = await this.files.accept(this.selectedId, rowId);
  }
  async declineFile(rowId: string): Promise<void> {
    if (this.selectedId) await this.files.decline(this.selectedId, rowId);
  }

  /** Adds one of this person's contacts to the open group (the admin decides: §4). */
  async add(contactKey: string): Promise<string | null> {
    const c = this.contacts.get(contactKey);
    if (!c || !this.selectedId) return t.groupProblem.noContact;
    return this.act(() => this.engine.add(this.selectedId!, { key: c.publicKey, name: c.name }));
  }

  async remove(memberKey: string): Promise<string | null> {
    return this.selectedId ? this.act(() => this.engine.remove(this.selectedId!, memberKey)) : null;
  }

  /**
   * A group invite for the open group (docs/groups.md §4.5): a normal invite of this person, recorded
   * with the group, and the link with the group part. Whoever pairs through it is vouched for.
   */
  async createInvite(): Promise<void> {
    const pairing = this.pairing();
    const id = this.selectedId;
    if (!pairing || !id) return;
    const plain = await pairing.create();
    const parsed = parseInvite(plain, Date.now());
    if (!parsed.ok) return;
    const rec = await this.db.getInvite(bytesToHex(parsed.invite.rendezvousSecret));
    if (!rec) return;
    await this.db.putInvite({ ...rec, group: id });
    if (this.selectedId === id) this.inviteLink = groupInviteLink(new URL(plain).origin, parsed.invite, hexToBytes(id));
  }

  /** Someone paired through one of our invites: if it was a group invite, vouch for them (§4.5). */
  async invitedPaired(contact: ContactRecord, inviteId: string): Promise<void> {
    const group = (await this.db.getInvite(inviteId))?.group;
    if (group) await this.engine.add(group, { key: contact.publicKey, name: contact.name });
  }

  async leave(): Promise<string | null> {
    return this.selectedId ? this.act(() => this.engine.leave(this.selectedId!)) : null;
  }

  private async act(
    op: () => Promise<{ ok: true; id: string } | { ok: false; problem: string }>,
    open = false,
  ): Promise<string | null> {
    try {
      const r = await op();
      this.problem = r.ok ? null : r.problem;
      if (r.ok && open) await this.select(r.id);
      return this.problem;
    } catch (e) {
      this.problem = e instanceof RangeError || e instanceof TypeError ? e.message : appError('STORAGE_FAILED').message;
      return this.problem;
    }
  }
}

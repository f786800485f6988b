/**
 * One step of a group's state on this device (docs/groups.md §10.1): the group row as it will be
 * written, the timeline rows, and the copies to queue in members' pairwise outboxes — gathered in
 * a {@link GroupStep} and committed together (`GroupStore.commit`). Also the small helpers every
 * step uses: reading the held list, the notice rows, and the introductions this member owes.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { findMember, type SignedList } from '../core/group';
import { makeIntro, introsToMake } from '../core/group-intro';
import { emptyLedger } from '../core/group-ledger';
import { listNoticeStamp, startTimeline, type OrderedGroupMessage } from '../core/group-order';
import { decodeGroup } from '../core/group-wire';
import type { Identity, RandomSource } from '../core/identity';
import type { GroupCommit, GroupOutgoing } from '../store/group-store';
import type { GroupMessageRecord, GroupRecord } from '../store/group-records';

/** What a step needs to know about this device and the moment. */
export interface GroupContext {
  me: Identity;
  meHex: string;
  myName: string;
  now: number;
  random: RandomSource;
  /** Hex keys of people this device has a pairwise relationship with (contacts, group peers). */
  linked: ReadonlySet<string>;
  /** The pairwise peer id (contact record key or group peer key) for a member's key hex. */
  peerOf(memberHex: string): string;
}

/** The list a group row holds (its bytes were accepted or made here, so they decode). */
export function heldOf(rec: Pick<GroupRecord, 'list'>): SignedList {
  const d = decodeGroup(rec.list);
  if (!d.ok || d.message.type !== 'list') throw new Error('group store: a held list does not decode');
  return { list: d.message, bytes: rec.list };
}

/** A new group row for a list this device made or accepted first. */
export function newGroupRecord(held: SignedList, ctx: GroupContext): GroupRecord {
  return {
    id: bytesToHex(held.list.group),
    list: held.bytes,
    state: 'member',
    timeline: startTimeline(ctx.random, held),
    introLedger: emptyLedger(),
    vouchLedger: emptyLedger(),
    introsMade: [],
    introsAccepted: [],
    vouches: [],
    createdAt: ctx.now,
    activeAt: ctx.now,
  };
}

/** The name the held list gives a member, or a short key for someone not on it. */
export function memberName(held: SignedList, keyHex: string): string {
  return findMember(held.list, hexToBytes(keyHex))?.name ?? `someone (${keyHex.slice(0, 8)})`;
}

/** Accumulates one step's writes. */
export class GroupStep {
  readonly messages: GroupMessageRecord[] = [];
  readonly outgoing: GroupOutgoing[] = [];
  private notices = 0;

  constructor(
    public rec: GroupRecord,
    readonly ctx: GroupContext,
  ) {}

  get held(): SignedList {
    return heldOf(this.rec);
  }

  /** Queues control bytes to the member `memberHex` (never to this device). */
  send(memberHex: string, bytes: Uint8Array): void {
    if (memberHex !== this.ctx.meHex) this.outgoing.push({ to: this.ctx.peerOf(memberHex), group: this.rec.id, bytes });
  }

  /** Queues an own timeline message (by id) to the member `memberHex`. */
  sendRef(memberHex: string, ref: string): void {
    if (memberHex !== this.ctx.meHex) this.outgoing.push({ to: this.ctx.peerOf(memberHex), group: this.rec.id, ref });
  }

  /** A notice at the held list's stamp (list changes), or at this device's clock (`local`). */
  notice(kind: NonNullable<GroupMessageRecord['notice']>, text: string, local = false): void {
    const held = this.held;
    const s = local ? { sender: this.ctx.me.publicKey, lamport: this.rec.timeline.lamport } : listNoticeStamp(held);
    const n = this.notices++;
    this.messages.push({
      group: this.rec.id,
      id: local ? `l:${this.ctx.now}:${n}` : `n:${held.list.generation}:${n}`,
      kind: 'notice',
      sender: bytesToHex(s.sender),
      epoch: '00'.repeat(8),
      seq: 0,
      lamport: s.lamport,
      sentAt: this.ctx.now,
      receivedAt: this.ctx.now,
      text,
      own: false,
      notice: kind,
    });
  }

  /** A timeline message (own, with its bytes to send; or received). */
  message(m: OrderedGroupMessage, own: boolean, bytes?: Uint8Array): GroupMessageRecord {
    const row: GroupMessageRecord = {
      group: this.rec.id,
      id: `${bytesToHex(m.sender)}:${bytesToHex(m.epoch)}:${m.seq}`,
      kind: m.type,
      sender: bytesToHex(m.sender),
      epoch: bytesToHex(m.epoch),
      seq: m.seq,
      lamport: m.lamport,
      sentAt: m.sentAt,
      receivedAt: this.ctx.now,
      text: m.type === 'text' ? m.text : m.type === 'hello' ? m.name : `${m.files.length} file(s) offered`,
      own,
      name: memberName(this.held, bytesToHex(m.sender)),
    };
    if (bytes) row.bytes = bytes;
    if (m.type === 'file-offer')
      row.offer = {
        id: bytesToHex(m.offerId),
        files: m.files.map((f) => ({ name: f.name, type: f.type, size: f.size, sha256: bytesToHex(f.sha256) })),
      };
    this.messages.push(row);
    this.rec = { ...this.rec, activeAt: this.ctx.now };
    return row;
  }

  /**
   * Makes the intros this member owes (docs/groups.md §5.1) to members it is not linked with and
   * has no live intro for: each to the admin, who relays it; one to the admin goes through `via`
   * (the member this device is linked with, its voucher), or waits when there is none.
   */
  introduce(via?: string): void {
    const held = this.held;
    const now = this.ctx.now;
    const live = this.rec.introsMade.filter((i) => i.expiresAt > now);
    const pending = new Set([...live.map((i) => i.to), ...this.rec.introsAccepted.map((i) => i.from)]);
    const linked = [...this.ctx.linked, ...pending].map((k) => hexToBytes(k));
    const admin = bytesToHex(held.list.admin);
    const made = [...live];
    for (const to of introsToMake(held, this.ctx.me.publicKey, linked)) {
      const toHex = bytesToHex(to);
      const relay = toHex === admin ? via : admin;
      if (!relay || relay === this.ctx.meHex) continue;
      const { intro, bytes } = makeIntro({ me: this.ctx.me, held, to, now, random: this.ctx.random });
      made.push({
        to: toHex,
        introId: bytesToHex(intro.introId),
        rendezvousSecret: intro.rendezvousSecret,
        expiresAt: intro.expiresAt,
      });
      this.send(relay, bytes);
    }
    this.rec = { ...this.rec, introsMade: made };
  }

  /** The step as one store commit. */
  commit(takeInbox: number[] = []): GroupCommit {
    return { group: this.rec, messages: this.messages, outgoing: this.outgoing, takeInbox };
  }
}

/** The order every member shows (docs/groups.md §6.1): lamport, sender, epoch, seq (hex compares as bytes). */
export function timelineOrder(a: GroupMessageRecord, b: GroupMessageRecord): number {
  return a.lamport - b.lamport || cmp(a.sender, b.sender) || cmp(a.epoch, b.epoch) || a.seq - b.seq || cmp(a.id, b.id);
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

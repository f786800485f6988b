/**
 * The group state machine of this device (docs/groups.md §10): what a person does (create, write,
 * add someone, remove, leave) and what arrives (the group inbox), each as one step of the pure core
 * committed in one transaction with the copies it queues (`GroupStore.commit`), then flushed on
 * the members' links. Steps run one at a time. No Svelte here: `groups.svelte.ts` shows the state.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { createGroup, findMember, nextList, type NewMember } from '../core/group';
import { makeLeave, makeVouch } from '../core/group-join';
import { composeGroupMessage, fanOutTo, tickClock } from '../core/group-order';
import { decodeGroup } from '../core/group-wire';
import type { Identity, RandomSource } from '../core/identity';
import type { GroupStore } from '../store/group-store';
import { MAX_GROUPS, type GroupPeerRecord, type GroupRecord } from '../store/group-records';
import { GroupStep, heldOf, memberName, newGroupRecord, type GroupContext } from './group-step';
import { publishList, receiveGroup, removeMembers, sendHello } from './group-receive';
import { t } from './strings';
import { goneRow, offerFiles, receiveFileRequest, requestFile, type GroupFileServer } from './group-files';
import type { GroupFile } from '../core/group-wire';
import type { GroupMessageRecord } from '../store/group-records';

/** What the engine needs from the rest of the app. */
export interface GroupEngineDeps {
  store: GroupStore;
  /** This device's identity and display name. */
  self(): { me: Identity; name: string };
  /** Who this device has pairwise sessions with, and how member keys map to pairwise peers. */
  peers(): { linked: ReadonlySet<string>; peerOf(memberHex: string): string; keyOf(peerId: string): string };
  /** Sends what was queued for these pairwise peers. */
  flush(peerIds: string[]): void;
  /** A group's row or timeline changed (`null`: the list of groups). */
  changed(groupId: string | null): void;
  random?: RandomSource;
  now?: () => number;
  /**
   * Runs one read-modify-write of the group store alone among this person's tabs (a Web Lock:
   * docs/tabs.md §5); without it, only this engine's own steps are serialized.
   */
  exclusive?: <T>(op: () => Promise<T>) => Promise<T>;
  /** The sender's side of group files (docs/groups.md §7); without it, file requests are dropped. */
  files?: GroupFileServer;
}

/** Why an action was not taken: a sentence for the person. */
export type GroupActionResult = { ok: true; id: string } | { ok: false; problem: string };

export class GroupEngine {
  private chain: Promise<unknown> = Promise.resolve();
  private draining = false;
  private again = false;

  constructor(private readonly deps: GroupEngineDeps) {}

  private ctx(): GroupContext {
    const { me, name } = this.deps.self();
    const p = this.deps.peers();
    return {
      me,
      meHex: bytesToHex(me.publicKey),
      myName: name,
      now: (this.deps.now ?? Date.now)(),
      random: this.deps.random ?? randomBytes,
      linked: p.linked,
      peerOf: (k) => p.peerOf(k),
    };
  }

  private run<T>(op: () => Promise<T>): Promise<T> {
    const exclusive = this.deps.exclusive;
    const next = this.chain.then(exclusive ? () => exclusive(op) : op);
    this.chain = next.catch(() => {});
    return next;
  }

  private async save(step: GroupStep, takeInbox: number[] = []): Promise<void> {
    const touched = await this.deps.store.commit(step.commit(takeInbox));
    this.deps.changed(step.rec.id);
    this.deps.flush(touched);
  }

  /** Makes a group of this device (the admin) and `members` (contacts), and sends them its list (§3.1). */
  create(name: string, members: NewMember[]): Promise<GroupActionResult> {
    return this.run(async () => {
      if ((await this.deps.store.list()).length >= MAX_GROUPS)
        return { ok: false, problem: t.groupProblem.tooMany(MAX_GROUPS) };
      const ctx = this.ctx();
      const held = createGroup({ admin: ctx.me, adminName: ctx.myName, name, members, random: ctx.random });
      const step = new GroupStep(newGroupRecord(held, ctx), ctx);
      step.notice('created', t.groupNotice.created(held.list.name));
      publishList(step, null, held, []);
      sendHello(step);
      await this.save(step);
      this.deps.changed(null);
      return { ok: true, id: step.rec.id };
    });
  }

  /** Writes `text` to the group: stored with the timeline, one copy per member queued (§6). */
  send(groupId: string, text: string): Promise<GroupActionResult> {
    return this.step(groupId, (step) => {
      const me = step.ctx.me.publicKey;
      const held = step.held;
      const c = composeGroupMessage(step.rec.timeline, { me, held, body: { type: 'text', text }, now: step.ctx.now });
      step.rec = { ...step.rec, timeline: c.timeline };
      const row = step.message(c.message, true, c.bytes);
      for (const k of fanOutTo(held, me)) step.sendRef(bytesToHex(k), row.id);
    });
  }

  /** Offers files to the group (§7): a timeline message to every member; resolves with the offer id in `id`. */
  offerFiles(groupId: string, files: readonly GroupFile[]): Promise<GroupActionResult> {
    let offerId = '';
    return this.step(groupId, (step) => void (offerId = offerFiles(step, files))).then((r) =>
      r.ok ? { ok: true, id: offerId } : r,
    );
  }

  /** Asks the sender of the offer in timeline row `rowId` for its files (§7). */
  requestFile(groupId: string, rowId: string): Promise<GroupActionResult> {
    return this.step(groupId, async (step) => requestFile(step, await this.deps.store.message(groupId, rowId)));
  }

  /** Records what came of this member's answer to an offer (declined, receiving, received…): local only. */
  markOffer(groupId: string, rowId: string, patch: Pick<GroupMessageRecord, 'answer' | 'transfer'>): Promise<void> {
    return this.run(async () => {
      const row = await this.deps.store.message(groupId, rowId);
      if (!row?.offer) return;
      await this.deps.store.commit({ messages: [{ ...row, ...patch }] });
      this.deps.changed(groupId);
    });
  }

  /**
   * Adds one of this device's contacts (§4): the admin publishes the next list at once; a member
   * vouches to the admin, and forwards the list that adds them when it comes.
   */
  add(groupId: string, newcomer: NewMember): Promise<GroupActionResult> {
    return this.step(groupId, (step) => {
      const held = step.held;
      if (findMember(held.list, newcomer.key)) return t.groupProblem.alreadyIn(newcomer.name);
      const ctx = step.ctx;
      if (bytesToHex(held.list.admin) === ctx.meHex) {
        const { lamport, timeline } = tickClock(step.rec.timeline);
        const next = nextList(held, ctx.me, { add: [newcomer], lamport });
        step.rec = { ...step.rec, timeline, list: next.bytes };
        publishList(step, held, next, []);
        return null;
      }
      const { vouch, bytes } = makeVouch({ member: ctx.me, held, newcomer, now: ctx.now, random: ctx.random });
      const v = { vouchId: bytesToHex(vouch.vouchId), newcomer: bytesToHex(newcomer.key), createdAt: ctx.now };
      step.rec = { ...step.rec, vouches: [...step.rec.vouches, v].slice(-32) };
      step.send(bytesToHex(held.list.admin), bytes);
      step.notice('added', t.groupNotice.asked(memberName(held, bytesToHex(held.list.admin)), newcomer.name), true);
      return null;
    });
  }

  /** The admin removes a member (§4.4): the next list without them goes to everyone, them included. */
  remove(groupId: string, memberHex: string): Promise<GroupActionResult> {
    return this.step(groupId, (step) => {
      const held = step.held;
      if (bytesToHex(held.list.admin) !== step.ctx.meHex) return t.groupProblem.onlyAdminRemoves;
      if (memberHex === step.ctx.meHex) return t.groupProblem.adminStays;
      if (!findMember(held.list, hexToBytes(memberHex))) return t.groupProblem.notInGroup;
      removeMembers(step, [memberHex]);
      return null;
    });
  }

  /** Leaves the group (§4.4): a signed leave to the admin; nothing more is sent to the group. */
  leave(groupId: string): Promise<GroupActionResult> {
    return this.step(groupId, (step) => {
      const held = step.held;
      if (bytesToHex(held.list.admin) === step.ctx.meHex) return t.groupProblem.adminLeaves;
      const { bytes } = makeLeave(step.ctx.me, held);
      step.send(bytesToHex(held.list.admin), bytes);
      step.rec = { ...step.rec, state: 'leaving' };
      step.notice('left', t.groupNotice.askedLeave, true);
      return null;
    });
  }

  /** One action on a group this device is a member of; `act` returns a problem or null. */
  private step(
    groupId: string,
    act: (s: GroupStep) => string | null | void | Promise<string | null | void>,
  ): Promise<GroupActionResult> {
    return this.run(async () => {
      const rec = await this.deps.store.get(groupId);
      if (!rec || rec.state !== 'member') return { ok: false, problem: t.groupProblem.notMember };
      const step = new GroupStep(rec, this.ctx());
      const problem = await act(step);
      if (problem) return { ok: false, problem };
      await this.save(step);
      return { ok: true, id: groupId };
    });
  }

  /** Takes what waits in the group inbox, in arrival order (called whenever something arrived). */
  process(): Promise<void> {
    if (this.draining) {
      this.again = true;
      return Promise.resolve();
    }
    this.draining = true;
    return this.run(async () => {
      try {
        do {
          this.again = false;
          for (const row of await this.deps.store.inbox()) await this.take(row.seq!, row.from, row.bytes);
        } while (this.again);
      } finally {
        this.draining = false;
      }
    });
  }

  private async take(seq: number, fromPeer: string, bytes: Uint8Array): Promise<void> {
    const d = decodeGroup(bytes);
    if (!d.ok) return void (await this.deps.store.commit({ takeInbox: [seq] }));
    const id = bytesToHex(d.message.group);
    const rec = await this.deps.store.get(id);
    if (!rec && (await this.deps.store.list()).length >= MAX_GROUPS)
      return void (await this.deps.store.commit({ takeInbox: [seq] }));
    const from = this.deps.peers().keyOf(fromPeer);
    if (d.message.type === 'file-request' || d.message.type === 'file-gone') {
      const step = rec?.state === 'member' ? await this.fileAnswer(rec, d.message.type, bytes, from) : null;
      return void (await (step ? this.save(step, [seq]) : this.deps.store.commit({ takeInbox: [seq] })));
    }
    const r = receiveGroup(rec, d.message, bytes, from, this.ctx());
    if ('wait' in r) return;
    if (!r.step) return void (await this.deps.store.commit({ takeInbox: [seq] }));
    await this.save(r.step, [seq]);
    if (!rec) this.deps.changed(null);
  }

  /** A file request (the sender serves or refuses it) or a refusal of this member's request (§7). */
  private async fileAnswer(
    rec: GroupRecord,
    type: 'file-request' | 'file-gone',
    bytes: Uint8Array,
    from: string,
  ): Promise<GroupStep | null> {
    const step = new GroupStep(rec, this.ctx());
    if (type === 'file-request') {
      if (!this.deps.files) return null;
      receiveFileRequest(step, bytes, from, this.deps.files);
      return step.outgoing.length ? step : null;
    }
    const row = goneRow(await this.deps.store.messages(rec.id), step.held.list.group, bytes, from);
    if (!row) return null;
    step.messages.push({ ...row, answer: 'gone' });
    return step;
  }

  /**
   * A member met through an introduction (§5.4): stored as a group peer, the intros with them
   * dropped, and a notice in every group both are in.
   */
  introduced(peer: Omit<GroupPeerRecord, 'groups' | 'addedAt' | 'lastSeen'>): Promise<void> {
    return this.run(async () => {
      const ctx = this.ctx();
      const groups: string[] = [];
      for (const rec of await this.deps.store.list()) {
        const held = heldOf(rec);
        if (rec.state !== 'member' || !findMember(held.list, peer.publicKey)) continue;
        groups.push(rec.id);
        const step = new GroupStep(dropIntros(rec, peer.key), ctx);
        step.notice('introduced', t.groupNotice.introduced(memberName(held, peer.key)), true);
        await this.deps.store.commit(step.commit());
        this.deps.changed(rec.id);
      }
      await this.deps.store.commit({ peers: [{ ...peer, groups, addedAt: ctx.now, lastSeen: ctx.now }] });
    });
  }
}

function dropIntros(rec: GroupRecord, key: string): GroupRecord {
  return {
    ...rec,
    introsMade: rec.introsMade.filter((i) => i.to !== key),
    introsAccepted: rec.introsAccepted.filter((i) => i.from !== key),
  };
}

/**
 * What this device does with each group message that arrived over a pairwise session
 * (docs/groups.md §10.1): lists, timeline messages, vouches (the admin), vouch results, leaves and
 * intros, each judged by the pure core and turned into one {@link GroupStep}. A message that
 * cannot be used yet (`waitForList`) stays in the group inbox; everything else is taken.
 * @module
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { acceptList, findMember, listChanges, nextList, type SignedList } from '../core/group';
import { answerRefusal, checkLeave, checkVouch, checkVouchResult, decideVouch } from '../core/group-join';
import { checkIntro } from '../core/group-intro';
import { composeGroupMessage, fanOutTo, observeList, receiveGroupMessage, tickClock } from '../core/group-order';
import { verifyGroupSignature } from '../core/group-signed';
import type { GroupMessage, GroupMessageOf } from '../core/group-wire';
import type { GroupRecord } from '../store/group-records';
import { GroupStep, heldOf, memberName, newGroupRecord, type GroupContext } from './group-step';
import { t } from './strings';

/** The outcome for one inbox row: a step to commit, or `wait` (keep the row for a later list). */
export type Received = { step: GroupStep | null } | { wait: true };

const DROP: Received = { step: null };
const isMember = (rec: GroupRecord) => rec.state === 'member' || rec.state === 'leaving';

/** Handles one decoded group message from the pairwise peer with key `from` (hex). */
export function receiveGroup(
  rec: GroupRecord | undefined,
  m: GroupMessage,
  bytes: Uint8Array,
  from: string,
  ctx: GroupContext,
): Received {
  if (m.type === 'list') return receiveList(rec, bytes, from, ctx);
  if (!rec || !isMember(rec)) return DROP;
  const step = new GroupStep(rec, ctx);
  switch (m.type) {
    case 'text':
    case 'hello':
    case 'file-offer':
      return receiveTimeline(step, bytes, from, m.generation);
    case 'vouch':
      return receiveVouch(step, bytes, from);
    case 'vouch-result':
      return receiveVouchResult(step, bytes, from);
    case 'leave':
      return receiveLeave(step, bytes, from);
    case 'intro':
      return receiveIntro(step, m, bytes, from);
    default:
      return DROP; // file requests and refusals are the engine's (group-files.ts, docs/groups.md §7)
  }
}

function receiveList(rec: GroupRecord | undefined, bytes: Uint8Array, from: string, ctx: GroupContext): Received {
  const held = rec ? heldOf(rec) : null;
  if (held && bytesToHex(held.list.admin) === ctx.meHex) return DROP; // the admin's own lists are the truth
  const r = acceptList(held, bytes);
  if (!r.ok) {
    if (r.code !== 'GROUP_LIST_CONFLICT' || !rec || rec.conflict) return DROP;
    const step = new GroupStep({ ...rec, conflict: ctx.now }, ctx);
    step.notice('conflict', t.groupNotice.twoLists, true);
    return { step };
  }
  const named = !!findMember(r.held.list, ctx.me.publicKey);
  if (!rec) return named ? { step: joined(r.held, from, ctx) } : DROP;
  const step = new GroupStep(
    {
      ...rec,
      list: r.held.bytes,
      timeline: observeList(rec.timeline, r.held),
      state: named ? 'member' : rec.state === 'leaving' ? 'left' : 'removed',
    },
    ctx,
  );
  const before = held!;
  listNotices(step, before, r.held);
  if (!named) return { step };
  // The voucher forwards the list that adds its newcomer (docs/groups.md §4.3).
  const added = new Set(r.changes.added.map((a) => bytesToHex(a.key)));
  for (const v of rec.vouches) if (added.has(v.newcomer)) step.send(v.newcomer, r.held.bytes);
  const gone = new Set(r.changes.removed.map((a) => bytesToHex(a.key)));
  step.rec = {
    ...step.rec,
    vouches: rec.vouches.filter((v) => !added.has(v.newcomer)),
    introsMade: rec.introsMade.filter((i) => !gone.has(i.to)),
    introsAccepted: rec.introsAccepted.filter((i) => !gone.has(i.from)),
  };
  step.introduce(from);
  return { step };
}

/** A first list naming this device: the group exists here now; hello to all, intros owed. */
function joined(held: SignedList, from: string, ctx: GroupContext): GroupStep {
  const step = new GroupStep(newGroupRecord(held, ctx), ctx);
  const admin = memberName(held, bytesToHex(held.list.admin));
  step.notice('joined', t.groupNotice.joinedYou(held.list.name, admin));
  sendHello(step);
  step.introduce(from);
  return step;
}

/** This member's hello (docs/groups.md §6.1: the first message of its epoch) to every member. */
export function sendHello(step: GroupStep): void {
  const held = step.held;
  const me = step.ctx.me.publicKey;
  const c = composeGroupMessage(step.rec.timeline, {
    me,
    held,
    body: { type: 'hello', name: step.ctx.myName },
    now: step.ctx.now,
  });
  step.rec = { ...step.rec, timeline: c.timeline };
  const row = step.message(c.message, true, c.bytes);
  for (const k of fanOutTo(held, me)) step.sendRef(bytesToHex(k), row.id);
}

/** Notices for what a new list changed (docs/groups.md §3.2). */
export function listNotices(step: GroupStep, before: SignedList | null, after: SignedList): void {
  const c = listChanges(before?.list ?? null, after.list);
  // Someone whose leave was shown already ("Carol left") is not shown again as removed.
  const left = new Set(step.rec.left ?? []);
  for (const a of c.added) step.notice('added', t.groupNotice.joined(a.name));
  for (const d of c.removed) {
    const key = bytesToHex(d.key);
    if (key === step.ctx.meHex && step.rec.state === 'left') step.notice('left', t.groupNotice.youLeft);
    else if (key === step.ctx.meHex) step.notice('you-removed', t.groupNotice.youRemoved);
    else if (!left.has(key)) step.notice('removed', t.groupNotice.removed(d.name));
  }
  if (left.size) step.rec = { ...step.rec, left: [] };
  if (c.groupName) step.notice('renamed', t.groupNotice.renamed(c.groupName.to));
}

function receiveTimeline(step: GroupStep, bytes: Uint8Array, from: string, generation: number): Received {
  const r = receiveGroupMessage(step.rec.timeline, {
    held: step.held,
    me: step.ctx.me.publicKey,
    bytes,
    from: hexToBytes(from),
  });
  if (!r.ok) return r.waitForList ? { wait: true } : DROP;
  step.rec = { ...step.rec, timeline: r.timeline };
  if (!r.duplicate) step.message(r.message, false);
  forwardNewerList(step, from, generation);
  return { step };
}

/**
 * The sender wrote under an older list than this member holds: this member passes its list on
 * (docs/groups.md §3.3), so a member who missed the admin catches up from any member it hears
 * from. Once per member and generation; the admin's own lists are already in its outboxes, and the
 * admin is never sent a list.
 */
function forwardNewerList(step: GroupStep, from: string, generation: number): void {
  const held = step.held;
  const admin = bytesToHex(held.list.admin);
  if (generation >= held.list.generation || admin === step.ctx.meHex || from === admin) return;
  const sent = step.rec.listForwarded ?? {};
  if ((sent[from] ?? -1) >= held.list.generation) return;
  const members = new Set(held.list.members.map((m) => bytesToHex(m.key)));
  const kept = Object.entries(sent).filter(([k]) => members.has(k) && k !== from);
  step.rec = { ...step.rec, listForwarded: Object.fromEntries([...kept, [from, held.list.generation]]) };
  step.send(from, held.bytes);
}

/** The admin takes a vouch: every member's vouch is accepted (docs/groups.md §10, the policy). */
function receiveVouch(step: GroupStep, bytes: Uint8Array, from: string): Received {
  const held = step.held;
  const ctx = step.ctx;
  const r = checkVouch({
    held,
    me: ctx.me.publicKey,
    bytes,
    relayedBy: hexToBytes(from),
    now: ctx.now,
    ledger: step.rec.vouchLedger,
  });
  if (!r.ok) {
    const answer = answerRefusal(bytes, r);
    if (answer) step.send(from, answer);
    return { step };
  }
  const { lamport, timeline } = tickClock(step.rec.timeline);
  const d = decideVouch({ held, admin: ctx.me, vouch: r.vouch, accept: true, lamport });
  step.rec = { ...step.rec, vouchLedger: r.ledger, timeline, list: d.list!.bytes };
  publishList(step, held, d.list!, []);
  step.send(from, d.result); // after the list: the voucher forwards that list to its newcomer
  return { step };
}

/** The admin sends a new list to every member on it and to those it removes, with its notices. */
export function publishList(step: GroupStep, before: SignedList | null, after: SignedList, removed: string[]): void {
  if (before) listNotices(step, before, after);
  for (const m of after.list.members) step.send(bytesToHex(m.key), after.bytes);
  for (const k of removed) step.send(k, after.bytes);
}

function receiveVouchResult(step: GroupStep, bytes: Uint8Array, from: string): Received {
  const held = step.held;
  const r = checkVouchResult({
    bytes,
    group: held.list.group,
    from: held.list.admin,
    relayedBy: hexToBytes(from),
    vouchIds: step.rec.vouches.map((v) => hexToBytes(v.vouchId)),
  });
  if (!r.ok) return DROP;
  const id = bytesToHex(r.result.vouchId);
  const v = step.rec.vouches.find((x) => x.vouchId === id);
  step.rec = { ...step.rec, vouches: step.rec.vouches.filter((x) => x.vouchId !== id) };
  if (r.result.outcome !== 'added' && v)
    step.notice('conflict', t.groupNotice.notAdded(r.result.outcome.replace('-', ' ')), true);
  return { step };
}

function receiveLeave(step: GroupStep, bytes: Uint8Array, from: string): Received {
  const held = step.held;
  const ctx = step.ctx;
  const r = checkLeave({ held, bytes, relayedBy: hexToBytes(from) });
  if (!r.ok) return DROP;
  const leaver = bytesToHex(r.leave.member);
  if (bytesToHex(held.list.admin) !== ctx.meHex) {
    step.notice('left', t.groupNotice.left(memberName(held, leaver)), true);
    step.rec = { ...step.rec, left: [...(step.rec.left ?? []), leaver].slice(-64) };
    return { step };
  }
  // The admin relays the leave before the list, so members show "left", not "removed" (§4.4).
  for (const m of held.list.members) if (bytesToHex(m.key) !== leaver) step.send(bytesToHex(m.key), bytes);
  removeMembers(step, [leaver]);
  return { step };
}

/** The admin's next list without `keys`, sent to everyone on it and to them. */
export function removeMembers(step: GroupStep, keys: string[]): void {
  const held = step.held;
  const { lamport, timeline } = tickClock(step.rec.timeline);
  const next = nextList(held, step.ctx.me, { remove: keys.map((k) => hexToBytes(k)), lamport });
  step.rec = { ...step.rec, timeline, list: next.bytes };
  publishList(step, held, next, keys);
}

function receiveIntro(step: GroupStep, intro: GroupMessageOf<'intro'>, bytes: Uint8Array, from: string): Received {
  const held = step.held;
  const ctx = step.ctx;
  const to = bytesToHex(intro.to);
  const maker = bytesToHex(intro.from);
  const admin = bytesToHex(held.list.admin);
  if (to !== ctx.meHex) {
    // Relay: the admin passes a maker's intro on; a member passes one addressed to the admin (§5.2).
    const relayable =
      maker === from &&
      !!findMember(held.list, intro.from) &&
      !!findMember(held.list, intro.to) &&
      verifyGroupSignature(intro);
    if (relayable && (admin === ctx.meHex || to === admin)) step.send(to, bytes);
    return relayable ? { step } : DROP;
  }
  const r = checkIntro({
    held,
    me: ctx.me.publicKey,
    bytes,
    relayedBy: hexToBytes(from),
    now: ctx.now,
    ledger: step.rec.introLedger,
  });
  if (!r.ok) return DROP;
  const accepted = ctx.linked.has(maker)
    ? step.rec.introsAccepted
    : [
        ...step.rec.introsAccepted.filter((i) => i.from !== maker),
        {
          from: maker,
          introId: bytesToHex(intro.introId),
          rendezvousSecret: intro.rendezvousSecret,
          expiresAt: intro.expiresAt,
        },
      ];
  step.rec = { ...step.rec, introLedger: r.ledger, introsAccepted: accepted };
  return { step };
}

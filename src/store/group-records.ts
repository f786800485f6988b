/**
 * What the app stores for groups (docs/groups.md §10.2), in the database version 3 stores
 * `groups`, `groupMessages`, `groupPeers` and `groupInbox` (db.ts). Keys that are bytes are
 * stored as lowercase hex, so they are valid IndexedDB keys; group messages are stored with their
 * exact bytes where they must be sent again (each copy is sealed anew per link, docs/outbox.md).
 * @module
 */
import type { GroupTimeline } from '../core/group-order';
import type { SeenLedger } from '../core/group-ledger';

/** Where this device stands in a group (docs/groups.md §10.1). */
export type GroupMembership = 'member' | 'leaving' | 'left' | 'removed';

/** An intro this member made and keeps until the two have met or it expired (docs/groups.md §5.2). */
export interface MadeIntro {
  /** Hex of the member it introduces this device to. */
  to: string;
  introId: string;
  rendezvousSecret: Uint8Array;
  expiresAt: number;
}

/** An intro this member accepted (checkIntro): the maker to meet at its rendezvous (docs/groups.md §5.4). */
export interface AcceptedIntroRecord {
  /** Hex of the maker. */
  from: string;
  introId: string;
  rendezvousSecret: Uint8Array;
  expiresAt: number;
}

/** A vouch this member sent and waits on (docs/groups.md §4.1): whom, so the list adding them is forwarded. */
export interface PendingVouch {
  vouchId: string;
  /** Hex of the newcomer. */
  newcomer: string;
  createdAt: number;
}

/** One group on this device (docs/groups.md §10.2). */
export interface GroupRecord {
  /** Hex of the 32-byte group id. */
  id: string;
  /** The exact bytes of the list this device holds (docs/groups.md §3.2). */
  list: Uint8Array;
  state: GroupMembership;
  timeline: GroupTimeline;
  /** Intro ids this member accepted (single use, docs/groups.md §5.3). */
  introLedger: SeenLedger;
  /** The admin's vouch ids (docs/groups.md §4.2); empty elsewhere. */
  vouchLedger: SeenLedger;
  introsMade: MadeIntro[];
  introsAccepted: AcceptedIntroRecord[];
  vouches: PendingVouch[];
  /** When this device first held the group. */
  createdAt: number;
  /** Last time something was written to the timeline (the list's order). */
  activeAt: number;
  /** Members whose relayed leave was shown, until the list without them arrives (≤ 64). */
  left?: string[];
  /** First list refused as a conflict (the admin signed two lists of one generation), shown once. */
  conflict?: number;
  /**
   * Members (hex) this member forwarded its list to, and that list's generation (docs/groups.md
   * §3.3): one list per member and generation; only members on the held list (≤ 49).
   */
  listForwarded?: Record<string, number>;
}

/** Where a member's answer to a group file offer stands (docs/groups.md §7). */
export type GroupFileAnswer = 'requested' | 'declined' | 'receiving' | 'received' | 'mismatch' | 'gone' | 'stopped';

/** Kinds of timeline rows: messages from members, and notices this device writes. */
export type GroupMessageKind = 'text' | 'hello' | 'file-offer' | 'notice';

/**
 * One row of a group's timeline (docs/groups.md §6): a member's message with its stamp, or a
 * notice (a list change at `listNoticeStamp`, an introduction) at this device's clock.
 */
export interface GroupMessageRecord {
  group: string;
  /** `<sender hex>:<epoch hex>:<seq>` for messages; `n:<generation>:<lamport>:<i>` for notices. */
  id: string;
  kind: GroupMessageKind;
  /** Hex of the sender (the admin for list notices, this device for local ones). */
  sender: string;
  epoch: string;
  seq: number;
  lamport: number;
  sentAt: number;
  receivedAt: number;
  /** Messages: the sender's name on the list when it was written (kept after they leave). */
  name?: string;
  /** The text, the hello's name, or the notice's words. */
  text: string;
  /** Sent by this device. */
  own: boolean;
  /** Own messages: the exact bytes, sealed anew for each member's link until receipted. */
  bytes?: Uint8Array;
  /** File offers: the offer id and its files, hashes in hex (docs/groups.md §7). */
  offer?: { id: string; files: { name: string; type: string; size: number; sha256: string }[] };
  /**
   * File offers of others: this member's answer, then what came of it (docs/groups.md §7):
   * `receiving` names the pairwise transfer (`transfer`) that answers the request.
   */
  answer?: GroupFileAnswer;
  /** The pairwise transfer id that carries an accepted group offer. */
  transfer?: string;
  /** Notices: what happened, for tests and styling. */
  notice?: 'created' | 'added' | 'joined' | 'removed' | 'left' | 'you-removed' | 'introduced' | 'renamed' | 'conflict';
}

/** A member met through an introduction, not a contact (docs/groups.md §5.4): what a contact has, unlisted. */
export interface GroupPeerRecord {
  /** Hex of the member's key. */
  key: string;
  publicKey: Uint8Array;
  /** The name the admin's list gives them (a group peer has no `hello` name of its own choosing shown). */
  name: string;
  /** deriveContactSecret(handshakeSecret) of the introduction's meeting. */
  contactSecret: Uint8Array;
  addedAt: number;
  lastSeen: number;
  /** Hex ids of the groups through which we know them. */
  groups: string[];
}

/** A group message received over a pairwise session, waiting for the group state to take it. */
export interface GroupInboxRecord {
  seq?: number; // auto-increment: arrival order
  /** Hex of the pairwise peer it came from (the sender, or the relay for lists and intros). */
  from: string;
  bytes: Uint8Array;
  receivedAt: number;
}

/**
 * An outbox entry's payload for a group message (docs/groups.md §10.2): a reference to an own
 * timeline message (`ref`, its id in `groupMessages`), or the control message itself (`bytes`,
 * base64url: lists, vouches, intros, leaves, results — each ≤ 5.3 KB).
 */
export interface GroupOutPayload {
  group: string;
  ref?: string;
  bytes?: string;
  /** When this copy was left in the member's mailbox at the relay (docs/groups.md §10.2): not put again. */
  mailboxAt?: number;
}

/** Groups one device keeps at most (docs/groups.md §11). */
export const MAX_GROUPS = 64;
/** Received group messages kept waiting for a list (`waitForList`) or an unknown group, per sender peer. */
export const MAX_WAITING_PER_PEER = 64;

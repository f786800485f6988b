/**
 * Several tabs of one Parley (docs/tabs.md): the tab holding the Web Lock owns the network
 * (network-owner.ts); the others start nothing on it, send their actions to the owner over a
 * BroadcastChannel (tab-rpc.ts) and show what it tells them. Every tab re-reads IndexedDB on a
 * change notice, so a message written or received in one tab shows in all of them.
 * @module
 */
import type { SignalingStatus } from '../net/signaling';
import type { OutgoingFile } from '../net/transfers';
import type { ConnectionManager, MirroredLinks } from './connections.svelte';
import type { ContactsState } from './contacts.svelte';
import type { TransfersState, TransferView, TransferRemote } from './transfers.svelte';
import { appError, type AppError } from './errors';
import { electOwner, type LockManagerLike, type OwnerNetwork } from './network-owner';
import { TabRpc, type ChannelLike } from './tab-rpc';

/** The channel's name: one per origin (one identity per origin's IndexedDB); it never leaves this browser. */
export const TAB_CHANNEL = 'parley-tabs/1';
/** The owner tells the others about links and transfers at most this often (docs/tabs.md §3). */
export const LIVE_INTERVAL_MS = 100;

/** What the owner tab's network is doing, as the other tabs show it. */
interface LiveState {
  links: MirroredLinks;
  relay: SignalingStatus;
  relayRetryAt: number | null;
  transfers: Record<string, TransferView[]>;
}

/** What the tabs module needs of the app. */
export interface TabApp {
  connections: ConnectionManager;
  contacts: ContactsState;
  transfers: TransfersState;
  /** Re-reads a contact's message (or whole history without an id) from IndexedDB. */
  messageChanged(key: string, id?: string): void;
  /** Re-reads the groups and the open group's timeline. */
  groupsChanged(): void;
  /** Another tab replaced the identity: nothing held in memory is valid any more. */
  reload(): void;
  /** Another tab owns the network: this one follows it (told once, when that is known). */
  following?(): void;
  error(e: AppError): void;
}

/** The app's parts that tell the other tabs what they changed (their `written` / `changed` hooks). */
export interface TabParts extends Omit<TabApp, 'groupsChanged'> {
  chat: { written: ((key: string, id: string) => void) | null };
  groups: { changed: (() => void) | null; load(): Promise<void> } | null;
}

/** Wires the app's parts to the other tabs and asks for the network (`startNetwork` runs once this tab owns it). */
export function joinTabs(parts: TabParts, startNetwork: () => Promise<void>): TabLink {
  const { chat, contacts, groups } = parts;
  const tabs = new TabLink({ ...parts, groupsChanged: () => void groups?.load() });
  chat.written = (key, id) => tabs.messagesChanged(key, id);
  contacts.changed = () => tabs.contactsChanged();
  if (groups) groups.changed = () => tabs.groupsChanged();
  tabs.start(startNetwork);
  return tabs;
}

export class TabLink {
  /** This tab owns the network (holds the relay socket, the links, the transfers). */
  owner = $state(false);
  /** Another tab owns the network, and this one works through it until it takes over. */
  following = $state(false);
  private rpc: TabRpc | null = null;
  private live: { timer: ReturnType<typeof setTimeout> | null; stop: (() => void) | null } = {
    timer: null,
    stop: null,
  };

  constructor(private readonly app: TabApp) {}

  /**
   * Joins the other tabs and asks for the network. Until this tab owns it, its actions go to the
   * owner; `startNetwork` runs once, when it becomes the owner (at once when it is the only tab).
   */
  start(startNetwork: () => Promise<void>): void {
    const locks = typeof navigator !== 'undefined' ? (navigator.locks as LockManagerLike | undefined) : undefined;
    const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(TAB_CHANNEL) : null;
    if (channel) this.rpc = new TabRpc(channel as ChannelLike, (name, body) => this.onNotice(name, body));
    // Without a channel to the owner, a tab that waits could do nothing: every tab then owns its network.
    if (this.rpc && locks) this.follow();
    electOwner(this.rpc ? locks : undefined, {
      owner: () => void this.becomeOwner(startNetwork),
      waiting: () => {
        this.following = true;
        this.app.following?.();
      },
    });
    this.rpc?.notify('hello');
  }

  /** Tells the other tabs that the messages of `key` changed (one message `id`, or any without). */
  messagesChanged(key: string, id?: string): void {
    this.rpc?.notify('messages', { key, id });
  }

  /** Tells the other tabs that the identity was replaced (rotated, or a backup restored): they reload with it. */
  identityChanged(): void {
    this.rpc?.notify('identity');
  }

  /** Tells the other tabs that a group changed in IndexedDB. */
  groupsChanged(): void {
    this.rpc?.notify('groups');
  }

  /** Tells the other tabs that the contact list changed in IndexedDB. */
  contactsChanged(): void {
    this.rpc?.notify('contacts');
  }

  /** Not the owner: network entry points and transfer actions go to the owner tab. */
  private follow(): void {
    const { connections: cm, transfers } = this.app;
    cm.viaOwner = this.ownerNetwork();
    cm.mirrored = { peers: {}, features: {} };
    transfers.remote = this.transferRemote();
  }

  private async becomeOwner(startNetwork: () => Promise<void>): Promise<void> {
    const { connections: cm, transfers, contacts } = this.app;
    const wasFollowing = cm.viaOwner !== null;
    cm.viaOwner = null;
    cm.mirrored = null;
    transfers.remote = null;
    this.owner = true;
    this.following = false;
    this.rpc?.serve((op, args) => this.answer(op, args as Record<string, unknown>));
    if (wasFollowing) {
      // The owner before this one changed the store: read it afresh before the network starts.
      transfers.byContact = {};
      await contacts.load();
      for (const c of contacts.list) this.app.messageChanged(c.key);
    }
    this.watchLive();
    await startNetwork();
  }

  private onNotice(name: string, body: unknown): void {
    const b = (body ?? {}) as Record<string, unknown>;
    const key = typeof b.key === 'string' ? b.key : null;
    if (name === 'messages' && key) this.app.messageChanged(key, typeof b.id === 'string' ? b.id : undefined);
    else if (name === 'outbox' && key) {
      this.app.messageChanged(key);
      if (this.owner) void this.app.connections.flush(key);
    } else if (name === 'contacts') void this.app.contacts.load();
    else if (name === 'groups') this.app.groupsChanged();
    else if (name === 'identity') this.app.reload();
    else if (name === 'hello' && this.owner) this.postLive();
    else if (name === 'live' && !this.owner) this.showLive(body as LiveState);
  }

  /** Owner: what another tab asked for. */
  private async answer(op: string, a: Record<string, unknown>): Promise<unknown> {
    const { connections: cm, transfers, contacts } = this.app;
    const key = String(a.key);
    const id = String(a.id);
    switch (op) {
      case 'reset':
        return cm.requestReset(key, String(a.reason));
      case 'keyAccepted':
      case 'keyRefused':
      case 'stopMeeting':
      case 'meetAgain':
        await contacts.load(); // the asking tab changed the contact in IndexedDB first
        return cm[op](key);
      case 'relayOnly':
        return cm.setRelayOnly(a.on === true);
      case 'send':
        await transfers.send(key, a.files as OutgoingFile[]);
        return transfers.problem;
      case 'accept':
        return transfers.acceptFiles(key, id, a.files as number[]);
      case 'decline':
      case 'cancel':
      case 'dismiss':
        return transfers[op](key, id);
      case 'markSaved':
        return transfers.markSaved(key, id, Number(a.file));
      default:
        throw new Error(`unknown request "${op}"`);
    }
  }

  /** Asks the owner; a failure shows as TAB_OWNER_UNREACHABLE (the action can be tried again). */
  private ask(op: string, args: Record<string, unknown>): Promise<unknown> {
    const rpc = this.rpc;
    if (!rpc) return Promise.resolve(null);
    return rpc.call(op, args).catch(() => {
      this.app.error(appError('TAB_OWNER_UNREACHABLE'));
      return null;
    });
  }

  private ownerNetwork(): OwnerNetwork {
    const fire = (op: string, args: Record<string, unknown>) => void this.ask(op, args);
    return {
      // A notice, not a request: while the network changes hands, the next owner sends the outbox anyway.
      flush: (key) => Promise.resolve(this.rpc?.notify('outbox', { key })),
      requestReset: (key, reason) => this.ask('reset', { key, reason }),
      keyAccepted: (key) => fire('keyAccepted', { key }),
      keyRefused: (key) => fire('keyRefused', { key }),
      setRelayOnly: (on) => fire('relayOnly', { on }),
      stopMeeting: (key) => fire('stopMeeting', { key }),
      meetAgain: (key) => fire('meetAgain', { key }),
    };
  }

  private transferRemote(): TransferRemote {
    return {
      send: async (key, files) => {
        // A File crosses the channel by reference (structured clone); a named Blob would lose its name.
        const named = files.map((f) => (f instanceof File ? f : new File([f], f.name, { type: f.type })));
        const problem = await this.ask('send', { key, files: named });
        return typeof problem === 'string' ? problem : null;
      },
      accept: async (key, id, files) => void (await this.ask('accept', { key, id, files })),
      act: (op, key, id) => void this.ask(op, { key, id }),
      markSaved: (key, id, file) => void this.ask('markSaved', { key, id, file }),
    };
  }

  /** Owner: tells the other tabs about links and transfers whenever they change (throttled). */
  private watchLive(): void {
    this.live.stop?.();
    this.live.stop = $effect.root(() => {
      $effect(() => {
        const { connections: cm, transfers } = this.app;
        void [cm.peers, cm.relayStatus, cm.relayRetryAt, transfers.byContact];
        this.live.timer ??= setTimeout(() => {
          this.live.timer = null;
          this.postLive();
        }, LIVE_INTERVAL_MS);
      });
    });
  }

  private postLive(): void {
    const { connections: cm, transfers } = this.app;
    const features: MirroredLinks['features'] = {};
    for (const key of Object.keys(cm.peers)) features[key] = cm.peerFeatures(key);
    const live: LiveState = {
      links: { peers: { ...cm.peers }, features },
      relay: cm.relayStatus,
      relayRetryAt: cm.relayRetryAt,
      transfers: $state.snapshot(transfers.byContact) as Record<string, TransferView[]>,
    };
    this.rpc?.notify('live', live);
  }

  private showLive(live: LiveState): void {
    if (typeof live !== 'object' || live === null || typeof live.links !== 'object') return;
    const { connections: cm, transfers } = this.app;
    cm.mirrored = live.links;
    cm.relayStatus = live.relay;
    cm.relayRetryAt = live.relayRetryAt;
    transfers.byContact = live.transfers;
  }
}

/**
 * The root of the app's state: opens the store, makes the app's parts in order and wires them
 * together, and holds what the page shows around them (the banner, the open chat's lines, the
 * panels). Its parts: the network (network-parts.ts), invites from the address bar and the
 * tab-owner guard (invite-gate.ts), key actions (key-actions.svelte.ts), the status words
 * (chat-status.ts), the other tabs (tabs.svelte.ts); docs/app.md "The root and its parts".
 * @module
 */
import { ParleyStore } from '../store/db';
import { IdentityState } from './identity.svelte';
import { ContactsState } from './contacts.svelte';
import { ChatState } from './chat.svelte';
import type { ConnectionManager, ConnectionHooks } from './connections.svelte';
import type { PairingState } from './pairing.svelte';
import { BackupState } from './backup.svelte';
import { TransfersState } from './transfers.svelte';
import { AttentionState } from './attention.svelte';
import { appError, type AppError } from './errors';
import { safetyNumber } from '../core/identity';
import { keyChangeWarning } from './key-change';
import type { RouteWatch } from './route-watch.svelte';
import type { NetworkState } from './network.svelte';
import { versionNotice } from './peer-features';
import { ContactRemoval } from './contact-removal.svelte';
import { loadNameSkeleton, shownName } from './names';
import { HeldBackNotes } from './held-back.svelte';
import { GroupsState } from './groups.svelte';
import { UpdateState } from './update.svelte';
import { KeepState } from './keep.svelte';
import { ContactRename } from './contact-rename.svelte';
import { joinTabs, type TabLink, type TabParts } from './tabs.svelte';
import { chatStatus, relayProblem } from './chat-status';
import { InviteGate } from './invite-gate';
import { KeyActions } from './key-actions.svelte';
import { buildNetwork, startNetwork, type NetworkParts } from './network-parts';

export class AppState {
  ready = $state(false);
  error = $state.raw<AppError | null>(null);
  identity!: IdentityState;
  contacts!: ContactsState;
  chat!: ChatState;
  /** The verified mark, key changes, session resets, a new own key (docs/key-change.md); set once the store is open. */
  keys!: KeyActions;
  transfers = new TransfersState();
  /** Messages a contact's receive budget held back (docs/outbox.md §5): one line in its chat. */
  heldBack = new HeldBackNotes();
  /** The service worker and the "new version" prompt (docs/pwa.md "Updates"). */
  readonly update = new UpdateState(this.transfers);
  /** Storage that lasts, notifications, the badge, the share target (docs/pwa.md); set once the app is ready. */
  keep = $state<KeepState | null>(null);
  /** Unread badges, title, offer notices, rename lines (docs/app.md "Unread and notices"); set once the store is open. */
  attention = $state<AttentionState | null>(null);
  connections = $state<ConnectionManager | null>(null);
  pairing = $state<PairingState | null>(null);
  /** Export/import of the identity (docs/app.md, "Backup"); set once the store is open. */
  backup = $state<BackupState | null>(null);
  backupOpen = $state(false);
  /** On a narrow screen the chat replaces the contact list until Back (docs/app.md "Phones and keyboards"). */
  chatShown = $state(false);
  /** The identity panel (own fingerprint, replacing the key: docs/key-change.md §4). */
  identityOpen = $state(false);
  /** The open chat's route line (docs/app.md "Network: TURN and relay-only"); set once connections exist. */
  route = $state<RouteWatch | null>(null);
  /** Opening and making invites: held until there is a name and the network, refused in a following tab (docs/tabs.md §5). */
  readonly invites = new InviteGate({
    pairing: () => this.pairing,
    tabs: () => this.tabs,
    needsName: () => this.identity.needsName,
    setError: (e) => (this.error = e),
  });
  /** Groups (docs/groups.md §10); set once the store is open. */
  groups = $state<GroupsState | null>(null);
  /** Removing and blocking contacts, with the removal's confirm step; set once the store is open. */
  contactActions = $state<ContactRemoval | null>(null);
  /** The open chat's rename form (docs/app.md "Renaming a contact"); set once the store is open. */
  contactRename = $state<ContactRename | null>(null);
  /** The other tabs of this Parley, and whether this one owns the network (docs/tabs.md); set once ready. */
  tabs = $state<TabLink | null>(null);
  private store!: ParleyStore;

  /** The relay problem, when there is one: shown until the relay is back. */
  readonly relayError = $derived(relayProblem(this.connections));

  /** TURN and relay-only: the relay's ICE config and this browser's choice; set once connections exist. */
  get network(): NetworkState | null {
    return this.connections?.meeting.network ?? null;
  }

  readonly banner = $derived(this.error ?? this.relayError ?? this.network?.problem ?? null);

  /** What the open chat's connection is doing, in words. */
  readonly status = $derived(chatStatus(this.contacts?.selected, this.connections));

  /** The open chat's line about a contact whose Parley cannot take files (docs/app.md "Versions"). */
  readonly versionNotice = $derived.by((): string | null => {
    const c = this.contacts?.selected;
    return c && this.connections ? versionNotice(this.connections.peerFeatures(c.key), shownName(c)) : null;
  });

  /** The safety number of the open chat: the same 60 digits on both sides unless someone is in the middle. */
  readonly safetyNumber = $derived.by((): string => {
    const c = this.contacts?.selected;
    const me = this.identity?.record;
    return c && me ? safetyNumber(me.publicKey, c.publicKey) : '';
  });

  /** The open chat's pending key change, with the new safety number to compare (docs/key-change.md §2). */
  readonly keyWarning = $derived(keyChangeWarning(this.contacts?.selected, this.identity?.record?.publicKey));

  async start(origin = new URL(location.href)): Promise<void> {
    this.update.start();
    this.invites.watchAddressBar();
    try {
      this.store = await ParleyStore.open();
    } catch {
      this.error = appError('STORAGE_FAILED');
      return;
    }
    // The confusables table (its own chunk) loads while the store is read; needed before any peer's name is judged.
    const names = loadNameSkeleton();
    this.identity = new IdentityState(this.store);
    this.contacts = new ContactsState(this.store);
    this.chat = new ChatState(this.store, this.contacts, () => this.connections);
    await this.identity.load();
    await this.contacts.load();
    const attention = new AttentionState(this.store, this.contacts, this.transfers);
    const last = attention.lastOpen();
    if (last) this.contacts.select(last);
    await this.chat.refresh();
    const groups = new GroupsState(
      this.store,
      this.identity,
      this.contacts,
      () => this.connections,
      // A group invite needs the relay: refused in a tab that does not own the network (docs/tabs.md §5).
      () => this.invites.pairingIfOwner(),
    );
    await groups.load(this.transfers);
    this.groups = groups;
    this.backup = new BackupState(this.store, this.identity, this.contacts, () => this.reloadAll());
    await attention.load();
    this.transfers.onIncomingOffer = (key) => attention.offer(key);
    const front = () => attention.setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', front);
    front();
    this.attention = attention;
    await names;
    const network = this.connect(origin);
    const { identity, contacts, transfers } = this;
    const [select, sendText] = [(k: string) => this.select(k), (t: string) => this.chat.send(t)];
    this.keep = new KeepState({ identity, contacts, transfers, attention, select, sendText });
    this.ready = true;
    void this.keep.start();
    window.addEventListener('pagehide', () => {
      network.connections.stop();
      void this.transfers.close();
    });
    // Back from the back/forward cache the links are gone: start afresh.
    window.addEventListener('pageshow', (e) => {
      if (e.persisted) location.reload();
    });
    this.joinTabs(network, origin);
  }

  /** Only the tab that owns the network starts it; the others work through that one (docs/tabs.md). */
  private joinTabs(network: NetworkParts, origin: URL): void {
    const { contacts, transfers, chat, groups } = this;
    const parts: TabParts = {
      connections: network.connections,
      contacts,
      transfers,
      chat,
      groups,
      reload: () => location.reload(),
      messageChanged: (key, id) => void this.messageChanged(key, id),
      error: (e) => (this.error = e),
      // An invite in the address bar waits for this tab to own the network: say why nothing happens.
      following: () => this.invites.following(),
    };
    this.tabs = joinTabs(parts, () =>
      startNetwork({ ...network, contacts, transfers, groups }, origin, () => this.invites.openPending()),
    );
  }

  /** Makes the network parts and the contact actions that need them, wired to this state. */
  private connect(origin: URL): NetworkParts {
    const hooks: ConnectionHooks = {
      messagesChanged: (key, id) => {
        void this.messageChanged(key, id);
        this.tabs?.messagesChanged(key, id);
      },
      renamed: (key, from, to) => this.attention?.renamed(key, from, to),
      error: (e) => {
        this.error = e;
      },
      resolved: (codes) => {
        if (this.error && codes.includes(this.error.code)) this.error = null;
      },
      linkUp: (key, link, peer) => this.transfers.linkUp(key, link, peer),
      chatHeldBack: (key, n) => this.heldBack.note(key, n),
    };
    const { store, identity, contacts, transfers, groups } = this;
    const network = buildNetwork({ store, identity, contacts, transfers, groups, hooks }, origin);
    this.connections = network.connections;
    this.route = network.route;
    this.pairing = network.pairing;
    this.contactRename = new ContactRename(contacts);
    this.contactActions = new ContactRemoval({
      store,
      contacts,
      connections: () => this.connections,
      transfers,
      chat: this.chat,
    });
    this.keys = new KeyActions({
      identity,
      contacts,
      connections: () => this.connections,
      error: (e) => (this.error = e),
      reloadAll: () => this.reloadAll(),
    });
    return network;
  }

  async saveName(name: string): Promise<string | null> {
    const problem = await this.identity.setName(name);
    if (!problem) await this.invites.openPending();
    return problem;
  }

  async select(key: string): Promise<void> {
    this.contacts.select(key);
    this.chatShown = true;
    await this.groups?.select(null);
    this.attention?.opened(key);
    await this.chat.refresh();
  }

  /** Opens a group's chat (the contact chat closes). */
  async selectGroup(id: string): Promise<void> {
    this.contacts.selectedKey = null;
    this.chatShown = true;
    await this.groups?.select(id);
    await this.chat.refresh();
  }

  /**
   * One message was stored or marked delivered: patch the open chat, count it if its chat is not
   * open. Without an id (a caller that does not name the message) both re-read the history.
   */
  private async messageChanged(key: string, id?: string): Promise<void> {
    if (id === undefined) {
      this.chat.changed(key);
      await this.attention?.recount(key);
      return;
    }
    const m = await this.store.getMessage(key, id).catch(() => undefined);
    this.chat.changed(key, m);
    if (m) this.contacts.active(key, m.sentAt);
    if (m) this.attention?.message(key, m);
  }

  /** "Hide my IP address from contacts (always relay)" (docs/app.md "Network: TURN and relay-only"). */
  setRelayOnly(on: boolean): void {
    this.connections?.setRelayOnly(on);
  }

  /** Back from the chat to the contact list (narrow screens); the chat stays selected. */
  back(): void {
    this.chatShown = false;
  }

  dismissError(): void {
    this.error = null;
  }

  toggleBackup(): void {
    this.backupOpen = !this.backupOpen;
  }

  toggleIdentity(): void {
    this.identityOpen = !this.identityOpen;
  }

  /** The identity was replaced: every tab of this Parley starts afresh with it (docs/tabs.md §3). */
  private reloadAll(): void {
    this.tabs?.identityChanged();
    location.reload();
  }
}

/**
 * The root of the app's state: opens the store, loads the identity, wires the contacts, chat,
 * connections and pairing together, reads `#invite=…` from the address bar (and removes it),
 * and decides what the error banner and the connection status say.
 * @module
 */
import { ParleyStore } from '../store/db';
import { IdentityState } from './identity.svelte';
import { ContactsState } from './contacts.svelte';
import { ChatState } from './chat.svelte';
import { ConnectionManager, type ConnectionHooks } from './connections.svelte';
import { PairingState } from './pairing.svelte';
import type { PairingServices } from './invite-rendezvous';
import { BackupState } from './backup.svelte';
import { TransfersState } from './transfers.svelte';
import { AttentionState } from './attention.svelte';
import { appError, type AppError } from './errors';
import { safetyNumber } from '../core/identity';
import { keyChangeWarning, KeyChangeError } from './key-change';
import { RouteWatch } from './route-watch.svelte';
import type { NetworkState } from './network.svelte';
import { versionNotice } from './peer-features';
import { stashInviteFromUrl, takeStashedInvite } from './invite-url';
import { ContactRemoval } from './contact-removal.svelte';
import { loadNameSkeleton } from './names';
import { HeldBackNotes } from './held-back.svelte';
import { GroupsState } from './groups.svelte';
import { UpdateState } from './update.svelte';
import { KeepState } from './keep.svelte';
import { shownName } from './names';
import { ContactRename } from './contact-rename.svelte';
import { joinTabs, type TabLink, type TabParts } from './tabs.svelte';
import { t } from './strings';
import { formatTime } from './format';

export interface StatusLine {
  /** `failed`: nothing can connect now (no route found, or relay-only without TURN): `code` says which. */
  state: 'connected' | 'connecting' | 'waiting' | 'relay' | 'failed' | 'none';
  text: string;
  code?: 'CONNECTION_FAILED' | 'TURN_UNAVAILABLE';
}

export class AppState {
  ready = $state(false);
  error = $state.raw<AppError | null>(null);
  identity!: IdentityState;
  contacts!: ContactsState;
  chat!: ChatState;
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
  private pendingInvite: string | null = null;
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
  readonly relayError = $derived.by((): AppError | null => {
    const s = this.connections?.relayStatus;
    if (s !== 'retrying' && s !== 'closed') return null;
    const at = this.connections?.relayRetryAt;
    const e = appError('RELAY_DOWN');
    return at
      ? {
          ...e,
          action: t.status.relayRetry(formatTime(at)),
        }
      : e;
  });

  /** TURN and relay-only: the relay's ICE config and this browser's choice; set once connections exist. */
  get network(): NetworkState | null {
    return this.connections?.meeting.network ?? null;
  }

  readonly banner = $derived(this.error ?? this.relayError ?? this.network?.problem ?? null);

  /** What the open chat's connection is doing, in words. */
  readonly status = $derived.by((): StatusLine => {
    const c = this.contacts?.selected;
    const cm = this.connections;
    if (!c || !cm) return { state: 'none', text: '' };
    const who = shownName(c);
    if (c.blocked) return { state: 'none', text: t.status.blocked(who) };
    const s = cm.peers[c.key] ?? 'waiting';
    if (s === 'connected') return { state: 'connected', text: t.status.connected(who) };
    if (cm.relayStatus !== 'open') return { state: 'relay', text: t.status.relayDown };
    if (cm.meeting.network.problem)
      return {
        state: 'failed',
        code: 'TURN_UNAVAILABLE',
        text: t.status.noTurn(who),
      };
    if (s === 'connecting') return { state: 'connecting', text: t.status.connecting(who) };
    if (s === 'unreachable')
      return {
        state: 'failed',
        code: 'CONNECTION_FAILED',
        text: t.status.noRoute(who),
      };
    return { state: 'waiting', text: t.status.waiting(who) };
  });

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
    // An invite arrives stashed by main.ts (the page replaced itself without the fragment).
    this.pendingInvite = takeStashedInvite(() => sessionStorage);
    if (!this.pendingInvite) this.takeInviteFromUrl();
    window.addEventListener('hashchange', () => {
      if (stashInviteFromUrl(location, () => sessionStorage)) return; // the page reloads with it
      if (this.takeInviteFromUrl()) void this.openPendingInvite();
    });
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
      () => {
        const refused = this.notOwner();
        if (refused) this.error = refused;
        return refused ? null : this.pairing;
      },
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
    const { cm, pairing } = this.connect(origin);
    const { identity, contacts, transfers } = this;
    const [select, sendText] = [(k: string) => this.select(k), (t: string) => this.chat.send(t)];
    this.keep = new KeepState({ identity, contacts, transfers, attention, select, sendText });
    this.ready = true;
    void this.keep.start();
    window.addEventListener('pagehide', () => {
      cm.stop();
      void this.transfers.close();
    });
    // Back from the back/forward cache the links are gone: start afresh.
    window.addEventListener('pageshow', (e) => {
      if (e.persisted) location.reload();
    });
    this.joinTabs(cm, pairing, origin);
  }

  /** Only the tab that owns the network starts it; the others work through that one (docs/tabs.md). */
  private joinTabs(cm: ConnectionManager, pairing: PairingState, origin: URL): void {
    const { contacts, transfers, chat, groups } = this;
    const parts: TabParts = {
      connections: cm,
      contacts,
      transfers,
      chat,
      groups,
      reload: () => location.reload(),
      messageChanged: (key, id) => void this.messageChanged(key, id),
      error: (e) => (this.error = e),
      // An invite in the address bar waits for this tab to own the network: say why nothing happens.
      following: () => void (this.pendingInvite && (this.error = appError('TAB_NOT_OWNER'))),
    };
    this.tabs = joinTabs(parts, async () => {
      await transfers.open(contacts.list.map((c) => c.key));
      await cm.start(origin);
      this.groups?.start(cm);
      await pairing.resume();
      await this.openPendingInvite();
    });
  }

  /** Makes the connection manager and pairing, wired to this state and to each other. */
  private connect(origin: URL): { cm: ConnectionManager; pairing: PairingState } {
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
      linkUp: (key, link) => this.transfers.linkUp(key, link),
      chatHeldBack: (key, n) => this.heldBack.note(key, n),
    };
    const cm = new ConnectionManager(this.store, this.identity, this.contacts, hooks, this.groups?.directory);
    this.connections = cm;
    this.route = new RouteWatch({
      stats: (key) => cm.linkStats(key),
      transferring: (key) => this.transfers.list(key).some((t) => t.status === 'active'),
      name: (key) => {
        const c = this.contacts.get(key);
        return c ? shownName(c) : t.status.someContact;
      },
    });
    this.transfers.gate = (key) => cm.refusal(key, 'transfer');
    const { store, identity, contacts } = this;
    const attach: PairingServices['attach'] = (contact, link, role, early) => cm.attach(contact.key, link, role, early);
    // Pairing meets invitees through the same relay, ICE servers and room budget as the contacts.
    const paired: PairingServices['paired'] = (contact, inviteId) => void this.groups?.invitedPaired(contact, inviteId);
    const pairing = new PairingState(cm.meeting, { store, identity, contacts, hooks, attach, paired }, origin.origin);
    this.pairing = pairing;
    this.contactRename = new ContactRename(contacts);
    this.contactActions = new ContactRemoval({
      store,
      contacts,
      connections: () => this.connections,
      transfers: this.transfers,
      chat: this.chat,
    });
    return { cm, pairing };
  }

  /**
   * Reads `#invite=…`, keeps it in memory and removes it from the address bar — only where
   * sessionStorage refused to carry it across the replacing navigation (invite-url.ts).
   */
  private takeInviteFromUrl(): boolean {
    const h = location.hash;
    if (!h.startsWith('#invite=')) return false;
    this.pendingInvite = location.href;
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }

  /** Opens the invite from the address bar once we have a display name. */
  private async openPendingInvite(): Promise<void> {
    // A tab that does not own the network keeps it until it does (docs/tabs.md §5).
    if (!this.pendingInvite || !this.pairing || this.identity.needsName || !this.tabs?.owner) return;
    const text = this.pendingInvite;
    this.pendingInvite = null;
    await this.openInvite(text);
  }

  /** Invites need the relay: in a tab that does not own the network they are refused (docs/tabs.md §5). */
  private notOwner(): AppError | null {
    return this.tabs && !this.tabs.owner ? appError('TAB_NOT_OWNER') : null;
  }

  get hasPendingInvite(): boolean {
    return this.pendingInvite !== null;
  }

  async saveName(name: string): Promise<string | null> {
    const problem = await this.identity.setName(name);
    if (!problem) await this.openPendingInvite();
    return problem;
  }

  async openInvite(text: string): Promise<void> {
    this.error = this.notOwner();
    if (this.error) return;
    await this.pairing?.open(text);
  }

  /** "Connect" on an opened invite (docs/app.md "Invites (invitee)"): only now is it dialed. */
  confirmInvite(): void {
    this.error = null;
    this.pairing?.confirm();
  }

  async createInvite(): Promise<void> {
    this.error = this.notOwner();
    if (this.error) return;
    await this.pairing?.create();
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

  /** Marks the open chat's contact verified, or takes the mark back. */
  async setVerified(verified: boolean): Promise<void> {
    const key = this.contacts.selectedKey;
    if (key) await this.guard(this.contacts.setVerified(key, verified));
  }

  /** Accepts the open chat's new key: a session is agreed with it, then the outbox goes out (docs/key-change.md §2). */
  async acceptKeyChange(): Promise<void> {
    const key = this.contacts.selectedKey;
    if (key && (await this.guard(this.contacts.acceptKeyChange(key)))) this.connections?.keyAccepted(key);
  }

  /** Keeps the open chat's old key and drops the pending change. */
  async refuseKeyChange(): Promise<void> {
    const key = this.contacts.selectedKey;
    if (key && (await this.guard(this.contacts.refuseKeyChange(key)))) this.connections?.keyRefused(key);
  }

  /** Contacts whose session reset this person asked for and that has not finished yet. */
  resetting = $state.raw<string[]>([]);

  /** "Reset secure session" for the open chat (docs/key-change.md §5); the notice comes when it is done. */
  async resetSession(): Promise<void> {
    const key = this.contacts.selectedKey;
    const cm = this.connections;
    if (!key || !cm || this.resetting.includes(key)) return;
    this.resetting = [...this.resetting, key];
    try {
      await cm.requestReset(key, 'asked');
    } finally {
      this.resetting = this.resetting.filter((k) => k !== key);
    }
  }

  /** Replaces the identity key (after the confirm step), then starts afresh with it. */
  async rotateIdentity(): Promise<void> {
    if (await this.guard(this.identity.rotate())) this.reloadAll();
  }

  /** The identity was replaced: every tab of this Parley starts afresh with it (docs/tabs.md §3). */
  private reloadAll(): void {
    this.tabs?.identityChanged();
    location.reload();
  }

  /**
   * A store that refuses the write shows STORAGE_FAILED instead of an unhandled rejection; a
   * second click on a key change already settled (KEY_CHANGE_NONE_PENDING) does nothing.
   */
  private async guard(p: Promise<unknown>): Promise<boolean> {
    try {
      await p;
      return true;
    } catch (e) {
      if (!(e instanceof KeyChangeError)) this.error = appError('STORAGE_FAILED');
      return false;
    }
  }
}

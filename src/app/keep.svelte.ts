/**
 * "An app people keep" (docs/pwa.md): the parts that make Parley an app rather than a tab —
 * storage that lasts, notifications and the installed app's badge, and the share target — wired to
 * the app's state. The service worker's registration and the update prompt live in `UpdateState`,
 * which starts before the store opens.
 * @module
 */
import type { MessageRecord } from '../store/db';
import type { AttentionState } from './attention.svelte';
import type { ContactsState } from './contacts.svelte';
import type { IdentityState } from './identity.svelte';
import type { TransfersState } from './transfers.svelte';
import { NotificationsState } from './notifications.svelte';
import { chatFromFragment, setAppBadge } from './notify';
import { ShareState, type ShareServices } from './share.svelte';
import { StorageState } from './storage.svelte';
import { shownName } from './names';

export interface KeepServices extends Omit<ShareServices, 'sendFiles'> {
  identity: IdentityState;
  contacts: ContactsState;
  transfers: TransfersState;
  attention: AttentionState;
}

export class KeepState {
  readonly storage = new StorageState();
  readonly notifications: NotificationsState;
  readonly share: ShareState;
  /** After the first contact, until dismissed: "make a backup". */
  readonly suggestBackup = $derived.by(() => this.s.contacts.list.length > 0 && !this.storage.suggestDismissed);
  /** After the first contact, once, while the browser has not been asked: "turn on notifications?". */
  readonly offerNotifications = $derived.by(() => {
    const n = this.notifications;
    return this.s.contacts.list.length > 0 && !n.offerDismissed && n.permission === 'default' && !n.settings.enabled;
  });
  /** Offers already told about (an offer's event can come again after a reload of the manager). */
  private readonly toldOffers = new Set<string>();

  constructor(private readonly s: KeepServices) {
    this.notifications = new NotificationsState((key) => {
      window.focus();
      void s.select(key);
    });
    this.share = new ShareState({ ...s, sendFiles: (key, files) => s.transfers.send(key, files) });
  }

  /** Starts everything once the identity, contacts and unread marks are loaded. */
  async start(): Promise<void> {
    const { identity, contacts, attention } = this.s;
    await this.storage.check();
    // First run: the identity was just made, so there is something to keep.
    if (identity.created) await this.storage.request();
    this.notifications.listen();
    attention.onUnread = (key, m) => this.messageArrived(key, m);
    this.watchOffers();
    let known = contacts.list.length;
    $effect.root(() => {
      $effect(() => {
        // A new contact (pairing): ask again to keep storage, now that there is more to lose.
        const n = contacts.list.length;
        if (n > known) void this.storage.request();
        known = n;
      });
      $effect(() => setAppBadge(navigator, attention.total));
    });
    const chat = chatFromFragment(location.hash);
    if (chat) {
      history.replaceState(null, '', location.pathname + location.search);
      if (contacts.get(chat)) await this.s.select(chat);
    }
    await this.share.pickUp();
  }

  /** Turns notifications on from a click; Chromium may now keep storage too, so it is read again. */
  async enableNotifications(): Promise<void> {
    await this.notifications.enable();
    await this.storage.check();
  }

  private messageArrived(key: string, m: MessageRecord): void {
    const c = this.s.contacts.get(key);
    if (!c || c.blocked || m.direction !== 'in') return;
    this.notifications.news({ kind: 'message', contact: key, name: shownName(c), id: m.id, text: m.text });
  }

  /** Each new incoming offer, once, after TransfersState has listed it. */
  private watchOffers(): void {
    const { transfers, attention, contacts } = this.s;
    for (const c of contacts.list) for (const t of transfers.list(c.key)) this.toldOffers.add(t.id);
    const before = transfers.onIncomingOffer;
    transfers.onIncomingOffer = (key) => {
      before?.(key);
      // The hook runs before the transfer list is refreshed: read it once that is done.
      queueMicrotask(() => {
        const c = this.s.contacts.get(key);
        for (const t of transfers.list(key)) {
          if (t.direction !== 'in' || t.status !== 'offered' || this.toldOffers.has(t.id)) continue;
          this.toldOffers.add(t.id);
          if (c && !c.blocked && t.createdAt > (attention.readAt[key] ?? 0))
            this.notifications.news({
              kind: 'offer',
              contact: key,
              name: shownName(c),
              id: t.id,
              files: t.files.map((f) => f.name),
            });
        }
      });
    };
  }
}

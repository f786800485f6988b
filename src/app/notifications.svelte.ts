/**
 * System notifications (docs/pwa.md "Notifications"): the permission, asked only when the person
 * clicks (the first-contact offer or the identity panel), their on/off and preview settings, and
 * showing one for news that arrives while the page is hidden. What is shown is decided by
 * `notificationFor` (notify.ts); a click focuses the tab and opens the sender's chat.
 * @module
 */
import { browserKeyValue, readJson, writeJson, type KeyValue } from './attention';
import {
  DEFAULT_NOTIFY,
  OPEN_CHAT_MESSAGE,
  isContactKey,
  isNotifySettings,
  notificationFor,
  type News,
  type NotificationSpec,
  type NotifySettings,
} from './notify';

const SETTINGS_KEY = 'parley.notify';
const OFFER_KEY = 'parley.notifyOffer';
const ICON = '/icons/icon-192.png';

const permissionNow = (): NotificationPermission | 'unsupported' =>
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;

export class NotificationsState {
  permission = $state<NotificationPermission | 'unsupported'>(permissionNow());
  settings = $state.raw<NotifySettings>(DEFAULT_NOTIFY);
  /** The first-contact offer was answered ("Not now" or enabled): it does not come back. */
  offerDismissed = $state(false);
  /** Notifications are on and the browser allows them. */
  readonly active = $derived(this.settings.enabled && this.permission === 'granted');

  constructor(
    /** Opens a contact's chat and brings the tab to the front (a notification was clicked). */
    private readonly open: (contact: string) => void,
    private readonly kv: KeyValue = browserKeyValue(),
  ) {
    this.settings = readJson(this.kv, SETTINGS_KEY, DEFAULT_NOTIFY, isNotifySettings);
    this.offerDismissed = readJson(this.kv, OFFER_KEY, false, (v): v is boolean => typeof v === 'boolean');
  }

  /** Listens for the service worker's "open this chat" (a click on a notification it showed). */
  listen(): void {
    navigator.serviceWorker?.addEventListener('message', (e: MessageEvent) => {
      const d = e.data as { type?: unknown; contact?: unknown } | null;
      if (d?.type === OPEN_CHAT_MESSAGE && isContactKey(d.contact)) this.open(d.contact);
    });
  }

  /** The person asked for notifications: the browser's permission prompt, then on if granted. */
  async enable(): Promise<void> {
    this.answerOffer();
    if (this.permission === 'unsupported') return;
    try {
      this.permission = await Notification.requestPermission();
    } catch {
      this.permission = permissionNow();
    }
    if (this.permission === 'granted') this.save({ ...this.settings, enabled: true });
  }

  /** Off in Parley (the browser's permission stays as it is; the browser's settings take it back). */
  disable(): void {
    this.save({ ...this.settings, enabled: false });
  }

  setPreview(preview: boolean): void {
    this.save({ ...this.settings, preview });
  }

  answerOffer(): void {
    this.offerDismissed = true;
    writeJson(this.kv, OFFER_KEY, true);
  }

  /** News arrived: a system notification if one is due (notify.ts `notificationFor`). */
  news(n: News): void {
    this.permission = permissionNow();
    const spec = notificationFor(n, {
      visible: document.visibilityState !== 'hidden',
      permission: this.permission,
      settings: this.settings,
    });
    if (spec) void this.show(spec);
  }

  private save(s: NotifySettings): void {
    this.settings = s;
    writeJson(this.kv, SETTINGS_KEY, s);
  }

  /**
   * Shows it from the page, whose click handler focuses this tab; where the page may not construct
   * notifications (Chrome on Android), through the service worker (src/sw/notification-click.ts).
   */
  private async show(spec: NotificationSpec): Promise<void> {
    const options = { body: spec.body, tag: spec.tag, icon: ICON, data: { contact: spec.contact } };
    try {
      const n = new Notification(spec.title, options);
      n.onclick = () => {
        window.focus();
        this.open(spec.contact);
        n.close();
      };
    } catch {
      const reg = await navigator.serviceWorker?.getRegistration();
      await reg?.showNotification(spec.title, options).catch(() => undefined);
    }
  }
}

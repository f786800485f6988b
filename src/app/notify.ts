/**
 * When Parley raises a system notification and what it says (docs/pwa.md "Notifications"): only
 * with the browser's permission and the person's own switch on, only while the page is hidden,
 * the sender's name always, the message text (or the file names) only when previews are on.
 * Plain functions, so the decision is tested without a browser.
 * @module
 */
import { t } from './strings';

/** The person's notification settings, kept in `localStorage` (`parley.notify`). */
export interface NotifySettings {
  /** The person turned notifications on in Parley (off = muted, whatever the browser allows). */
  enabled: boolean;
  /** Show the message text and file names, not only who wrote. */
  preview: boolean;
}
export const DEFAULT_NOTIFY: NotifySettings = { enabled: false, preview: false };
export const isNotifySettings = (v: unknown): v is NotifySettings =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as NotifySettings).enabled === 'boolean' &&
  typeof (v as NotifySettings).preview === 'boolean';

/** Something that arrived from a contact: a chat message, or an offer of files. */
export type News =
  | { kind: 'message'; contact: string; name: string; id: string; text: string }
  | { kind: 'offer'; contact: string; name: string; id: string; files: readonly string[] };

/** What the page knows when news arrives. */
export interface NotifyContext {
  /** `document.visibilityState !== 'hidden'`: a visible page shows news itself. */
  visible: boolean;
  /** `Notification.permission`, or `unsupported` where the API is missing. */
  permission: NotificationPermission | 'unsupported';
  settings: NotifySettings;
}

/** A notification to show: title, body, a tag per contact (a newer one replaces it) and whose chat a click opens. */
export interface NotificationSpec {
  title: string;
  body: string;
  tag: string;
  contact: string;
}

/** A body's length at most (system notifications cut long text anyway; the rest is in the chat). */
export const MAX_NOTIFICATION_BODY = 200;

/** The notification for `news`, or null when none is due. */
export function notificationFor(news: News, ctx: NotifyContext): NotificationSpec | null {
  if (ctx.visible || ctx.permission !== 'granted' || !ctx.settings.enabled) return null;
  return {
    title: news.name,
    body: notificationBody(news, ctx.settings.preview),
    tag: `parley:${news.contact}`,
    contact: news.contact,
  };
}

/** "New message", or the text; "wants to send you 3 files", or their names. */
export function notificationBody(news: News, preview: boolean): string {
  if (news.kind === 'message') return preview && news.text.trim() ? cut(news.text.trim()) : t.attention.newMessage;
  const n = news.files.length;
  if (!preview || n === 0) return t.attention.wantsFiles(n);
  const [first] = news.files;
  return cut(t.attention.wantsNamed(first ?? '', n - 1));
}

function cut(s: string): string {
  return s.length > MAX_NOTIFICATION_BODY ? `${s.slice(0, MAX_NOTIFICATION_BODY - 1)}…` : s;
}

/** The message the service worker posts to a window when its notification was clicked. */
export const OPEN_CHAT_MESSAGE = 'parley-open-chat';

/** A contact key: the hex of a 32-byte Ed25519 public key. */
export const isContactKey = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** `#chat=<key>`: opens that chat when the app starts (a notification's click with no Parley window open). */
export const chatFragment = (key: string): string => `#chat=${key}`;
export function chatFromFragment(hash: string): string | null {
  const m = /^#chat=([0-9a-f]{64})$/.exec(hash);
  return m ? m[1]! : null;
}

/** The installed app's badge: the unread total, cleared at 0 (where the Badging API exists). */
export function setAppBadge(nav: Partial<Pick<Navigator, 'setAppBadge' | 'clearAppBadge'>>, total: number): void {
  const p = total > 0 ? nav.setAppBadge?.(total) : nav.clearAppBadge?.();
  // Refused outside an installed app in some browsers: the title still says it.
  p?.catch(() => undefined);
}

/**
 * A click on a notification the service worker showed (docs/pwa.md "Notifications"): focus a
 * Parley window and tell it which chat to open, or open one on that chat. The page shows its own
 * notifications where it can (their click is handled in the page); this is the path for browsers
 * that only allow `ServiceWorkerRegistration.showNotification` (Chrome on Android).
 * @module
 */
import { OPEN_CHAT_MESSAGE, chatFragment, isContactKey } from '../app/notify';

/** The parts of `Clients` and `WindowClient` used here. */
export interface WindowClient {
  url: string;
  focus(): Promise<unknown>;
  postMessage(m: unknown): void;
}
export interface WindowClients {
  matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowClient[]>;
  openWindow(url: string): Promise<unknown>;
}

/** Focuses the first Parley window and asks it to open the chat of `data.contact`, or opens a new window on it. */
export async function openChatFromNotification(clients: WindowClients, data: unknown): Promise<void> {
  const contact = (data as { contact?: unknown } | null)?.contact;
  const key = isContactKey(contact) ? contact : null;
  const [win] = await clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (win) {
    await win.focus();
    if (key) win.postMessage({ type: OPEN_CHAT_MESSAGE, contact: key });
    return;
  }
  await clients.openWindow(key ? `/${chatFragment(key)}` : '/');
}

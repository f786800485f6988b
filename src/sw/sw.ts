/**
 * Parley's service worker (docs/pwa.md): Workbox precaches the built app (the list is injected at
 * build time) so it opens without the server; a new version waits until the page sends
 * `SKIP_WAITING`, which it does only after the person clicked Reload and no transfer runs
 * (src/app/update.svelte.ts). It also takes shares from the system's share sheet (manifest
 * `share_target`) and opens the right chat when a notification it showed is clicked.
 * @module
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { SHARE_FRAGMENT, SHARE_TARGET_PATH } from '../app/share-limits';
import { keepShare } from './share';
import { openChatFromNotification, type WindowClients } from './notification-click';
import type { PrecacheEntry } from 'workbox-precaching';

/** The parts of the service worker scope this file uses (the DOM lib has no ServiceWorkerGlobalScope). */
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification;
}
interface Scope {
  __WB_MANIFEST: (string | PrecacheEntry)[];
  clients: WindowClients;
  skipWaiting(): Promise<void>;
  addEventListener(type: 'fetch', f: (e: FetchEvent) => void): void;
  addEventListener(type: 'notificationclick', f: (e: NotificationEvent) => void): void;
  addEventListener(type: 'message', f: (e: MessageEvent) => void): void;
}
declare const self: Scope;
const sw = self;

// `self.__WB_MANIFEST` is replaced by the list of built files (workbox-build's injectManifest).
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every page navigation gets the precached app shell; the server's own endpoints are never pages.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/(signal|healthz|config\.json|stats)(\/|$)/, /^\/__parley-share\//],
  }),
);

sw.addEventListener('message', (e) => {
  if ((e.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void sw.skipWaiting();
});

// The share sheet posts here (multipart); keep the share, then open the app on its "share to…" sheet.
sw.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'POST' || url.pathname !== SHARE_TARGET_PATH) return;
  e.respondWith(
    keepShare(e.request).then(
      () => Response.redirect(`/${SHARE_FRAGMENT}`, 303),
      () => Response.redirect(`/${SHARE_FRAGMENT}-failed`, 303),
    ),
  );
});

sw.addEventListener('notificationclick', (e) => {
  e.notification.close();
  e.waitUntil(openChatFromNotification(sw.clients, e.notification.data));
});

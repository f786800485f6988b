/**
 * The service worker's registration and the "new version" prompt (docs/pwa.md "Updates"). Workbox
 * (through vite-plugin-pwa's `registerSW`) reports a waiting version; it takes over only when the
 * person clicked Reload and no transfer runs (update-policy.ts), and the page then reloads itself.
 * @module
 */
import { registerSW } from 'virtual:pwa-register';
import type { TransfersState } from './transfers.svelte';
import { busyTransfers, updateStep } from './update-policy';

/** How often an open tab asks the server for a new version (besides each page load). */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export class UpdateState {
  /** A new version is installed and waits. */
  waiting = $state(false);
  /** The person clicked Reload: it happens as soon as no transfer runs. */
  clicked = $state(false);
  /** The new version controls this page (after this tab's click or another tab's). */
  controlling = $state(false);
  /** Transfers a reload would interrupt now. */
  private activate: (() => Promise<void>) | null = null;
  private readonly transfers: TransfersState;
  /** Transfers a reload would interrupt now. */
  readonly busy = $derived.by(() => busyTransfers(this.transfers.byContact));

  constructor(transfers: TransfersState) {
    this.transfers = transfers;
  }

  /** Registers the service worker (never in dev or tests without one) and starts acting on updates. */
  start(): void {
    if (!('serviceWorker' in navigator)) return;
    this.activate = registerSW({
      immediate: true,
      onNeedRefresh: () => {
        this.waiting = true;
      },
      onNeedReload: () => {
        this.controlling = true;
      },
      onRegisteredSW: (_url, r) => {
        if (r) setInterval(() => void r.update().catch(() => undefined), CHECK_EVERY_MS);
      },
    });
    $effect.root(() => {
      $effect(() => {
        const step = updateStep({
          waiting: this.waiting,
          clicked: this.clicked,
          controlling: this.controlling,
          busy: this.busy,
        });
        if (step === 'activate') void this.activate?.();
        else if (step === 'reload') location.reload();
      });
    });
  }

  /** "Reload" on the prompt. */
  reload(): void {
    this.clicked = true;
  }
}

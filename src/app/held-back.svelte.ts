/**
 * The chat's line about messages a contact's receive budget held back (docs/outbox.md §5): shown
 * per contact while some were held back since the person last closed it. Updated at most every
 * {@link HELD_BACK_REFRESH_MS}, so a flood does not re-render the page per message.
 * @module
 */

import { CHAT_RECEIVE_MESSAGES } from './chat-budget';
import { t } from './strings';

/** How often the held-back count shown may change. */
export const HELD_BACK_REFRESH_MS = 500;

export class HeldBackNotes {
  /** Held back since the line was last closed, per contact key (absent: nothing to say). */
  shown = $state.raw<Record<string, number>>({});
  private readonly total = new Map<string, number>();
  private readonly closedAt = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** The contact's messages held back so far (a running total, from the traffic of its links). */
  note(key: string, total: number): void {
    this.total.set(key, total);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const next: Record<string, number> = {};
      for (const [k, t] of this.total) {
        const n = t - (this.closedAt.get(k) ?? 0);
        if (n > 0) next[k] = n;
      }
      this.shown = next;
    }, HELD_BACK_REFRESH_MS);
  }

  /** The person closed the line: it comes back only for messages held back after this. */
  close(key: string): void {
    this.closedAt.set(key, this.total.get(key) ?? 0);
    const { [key]: _closed, ...rest } = this.shown;
    this.shown = rest;
  }
}

/**
 * What the line says: what happened, that nothing is lost, what comes next. No number: a message
 * sent again and held back again counts twice, so the count (kept for tests as `data-count`)
 * would overstate it.
 */
export function heldBackText(peer: string): string {
  return t.heldBack(peer, CHAT_RECEIVE_MESSAGES.perSecond);
}

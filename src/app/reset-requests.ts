/**
 * Pending session resets per contact (docs/session.md §4): who asked, why, and who waits for
 * the new session. Each `ContactPeer` keeps its own and dials the contact's reset room while one
 * is pending.
 * @module
 */

/** Result of `ContactPeer.requestReset`: the new session, or why it could not be made. */
export type ResetResult = { ok: true; sessionId: string } | { ok: false; code: 'RESET_STOPPED'; message: string };

export class ResetRequests {
  private readonly pending = new Map<string, { reason: string; waiters: ((r: ResetResult) => void)[] }>();

  /** Records a request; resolves when {@link settle} or {@link stopAll} is called for it. */
  add(contact: string, reason: string): Promise<ResetResult> {
    return new Promise((resolve) => {
      const r = this.pending.get(contact) ?? { reason, waiters: [] };
      r.reason = reason;
      r.waiters.push(resolve);
      this.pending.set(contact, r);
    });
  }

  has(contact: string): boolean {
    return this.pending.has(contact);
  }
  reason(contact: string): string | null {
    return this.pending.get(contact)?.reason ?? null;
  }

  /** A new session with `contact` is stored: every waiter gets it. */
  settle(contact: string, sessionId: string): void {
    const r = this.pending.get(contact);
    this.pending.delete(contact);
    for (const w of r?.waiters ?? []) w({ ok: true, sessionId });
  }

  stopAll(): void {
    for (const [contact, r] of this.pending)
      for (const w of r.waiters.splice(0))
        w({ ok: false, code: 'RESET_STOPPED', message: `the app stopped before the reset with ${contact} finished` });
    this.pending.clear();
  }
}

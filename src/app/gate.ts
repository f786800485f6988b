/**
 * Waiting for a condition that an event makes true (e.g. "the relay is open"): `wait(ready)`
 * resolves once `ready()` holds, re-checking whenever `open()` is called and, belt and braces,
 * every second, leaving no stale waiter behind.
 * @module
 */
export class Gate {
  private readonly waiters: (() => void)[] = [];

  /** Wakes every waiter (each re-checks its condition). */
  open(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once `ready()` is true. */
  async wait(ready: () => boolean, recheckMs = 1_000): Promise<void> {
    while (!ready()) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }, recheckMs);
        this.waiters.push(wake);
      });
    }
  }
}

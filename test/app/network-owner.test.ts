/**
 * The election of the tab that owns the network (src/app/network-owner.ts, docs/tabs.md §2),
 * over a small in-memory lock manager that keeps the Web Locks rules the module relies on: one
 * holder per name, waiting requests granted in order, a waiting request aborted by its signal,
 * the lock freed when the holder's callback settles.
 */
import { describe, expect, it } from 'vitest';
import { acrossTabs, electOwner, type LockManagerLike } from '../../src/app/network-owner';

/** Exclusive locks by name, FIFO, as `navigator.locks` grants them. */
class Locks implements LockManagerLike {
  private readonly queues = new Map<
    string,
    {
      cb: (lock: unknown) => Promise<unknown> | unknown;
      done: (v: unknown) => void;
      fail: (e: unknown) => void;
      signal?: AbortSignal;
    }[]
  >();
  private readonly held = new Set<string>();
  request(
    name: string,
    o: { signal?: AbortSignal; ifAvailable?: boolean },
    cb: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown> {
    const q0 = this.queues.get(name) ?? [];
    if (o.ifAvailable && (this.held.has(name) || q0.length > 0)) return Promise.resolve().then(() => cb(null));
    return new Promise((done, fail) => {
      const q = this.queues.get(name) ?? [];
      this.queues.set(name, q);
      const entry = { cb, done, fail, signal: o.signal };
      q.push(entry);
      o.signal?.addEventListener('abort', () => {
        const i = q.indexOf(entry);
        if (i >= 0) {
          q.splice(i, 1);
          fail(new DOMException('aborted', 'AbortError'));
        }
      });
      this.grant(name);
    });
  }
  private grant(name: string): void {
    const q = this.queues.get(name)!;
    if (this.held.has(name) || q.length === 0) return;
    const next = q.shift()!;
    this.held.add(name);
    void Promise.resolve()
      .then(() => next.cb({ name }))
      .then(next.done, next.fail)
      .finally(() => {
        this.held.delete(name);
        this.grant(name);
      });
  }
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('electOwner', () => {
  it('the first tab owns the network; the next says it waits, and owns it only once the first lets go', async () => {
    const locks = new Locks();
    const owners: string[] = [];
    const a = electOwner(locks, { owner: () => owners.push('a') });
    await a.owned;
    const b = electOwner(locks, { owner: () => owners.push('b'), waiting: () => owners.push('b waits') });
    await tick();
    expect(owners).toEqual(['a', 'b waits']);
    a.release();
    await b.owned;
    expect(owners).toEqual(['a', 'b waits', 'b']);
  });

  it('a tab that stops waiting never owns it, and the one after it does', async () => {
    const locks = new Locks();
    const owners: string[] = [];
    const a = electOwner(locks, { owner: () => owners.push('a') });
    const b = electOwner(locks, { owner: () => owners.push('b') });
    const c = electOwner(locks, { owner: () => owners.push('c') });
    await a.owned;
    b.release();
    a.release();
    await c.owned;
    await tick();
    expect(owners).toEqual(['a', 'c']);
  });

  it('many tabs coming and going: never two owners at once, each waiting tab served in turn', async () => {
    const locks = new Locks();
    let owning = 0;
    let most = 0;
    const order: number[] = [];
    const tabs = Array.from({ length: 8 }, (_, i) =>
      electOwner(locks, {
        owner: () => {
          owning++;
          most = Math.max(most, owning);
          order.push(i);
        },
      }),
    );
    for (const t of tabs) {
      await t.owned;
      await tick();
      owning--;
      t.release();
    }
    expect(most).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('without Web Locks every tab owns its network at once (as before tabs were coordinated)', async () => {
    const owners: string[] = [];
    await electOwner(undefined, { owner: () => owners.push('a') }).owned;
    await electOwner(undefined, { owner: () => owners.push('b') }).owned;
    expect(owners).toEqual(['a', 'b']);
  });

  it('names its argument when on.owner is not a function', () => {
    expect(() => electOwner(new Locks(), {} as unknown as { owner(): void })).toThrow(/on\.owner/);
  });
});

describe('acrossTabs', () => {
  it('two tabs’ read-modify-writes never interleave, and each sees the other’s write', async () => {
    const locks = new Locks();
    let stored = 0;
    let inside = 0;
    let most = 0;
    const increment = async () => {
      inside++;
      most = Math.max(most, inside);
      const read = stored;
      await tick(); // an await between read and write, as an IndexedDB read and put have
      stored = read + 1;
      inside--;
    };
    const [tab1, tab2] = [acrossTabs('g', locks), acrossTabs('g', locks)];
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? tab1 : tab2)(increment)));
    expect(stored).toBe(10);
    expect(most).toBe(1);
  });

  it('passes the result through, and runs the op as it is without Web Locks', async () => {
    expect(await acrossTabs('g', new Locks())(() => Promise.resolve(7))).toBe(7);
    expect(await acrossTabs('g', undefined)(() => Promise.resolve(8))).toBe(8);
  });
});

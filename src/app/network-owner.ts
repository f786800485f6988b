/**
 * Which tab owns the network (docs/tabs.md §2): the one holding the Web Lock `parley-network`.
 * It holds the lock for the page's whole life; the browser releases it when the page closes,
 * reloads or crashes, and hands it to the next tab that asked — which then starts the network.
 * @module
 */

/** The lock every tab of one Parley (one origin, one identity) asks for. */
export const NETWORK_LOCK = 'parley-network';

/** The lock a tab holds while it reads and rewrites a group (docs/tabs.md §5). */
export const GROUPS_LOCK = 'parley-groups';

/** The part of `navigator.locks` this module uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive'; signal?: AbortSignal; ifAvailable?: boolean },
    cb: (lock: unknown) => Promise<unknown> | unknown,
  ): Promise<unknown>;
}

export interface Election {
  /** Resolves when this tab owns the network (at once, where the browser has no Web Locks). */
  readonly owned: Promise<void>;
  /** Gives the lock up (or stops waiting for it): the next tab becomes the owner. */
  release(): void;
}

/** What the election tells its tab. */
export interface ElectionEvents {
  /** This tab holds the lock now, until it releases it or the page ends. */
  owner(): void;
  /** Another tab holds the lock: this one waits in line (called at most once, before `owner`). */
  waiting?(): void;
}

/**
 * Asks for ownership of the network: takes the lock if it is free, and otherwise says so at once
 * and waits in line for it. Without Web Locks (an insecure origin, an old browser) every tab owns
 * its network, as before tabs were coordinated (docs/tabs.md §2).
 */
export function electOwner(locks: LockManagerLike | undefined, on: ElectionEvents, name = NETWORK_LOCK): Election {
  if (typeof on?.owner !== 'function') throw new TypeError('electOwner: on.owner must be a function');
  if (!locks) {
    on.owner();
    return { owned: Promise.resolve(), release: () => undefined };
  }
  const stop = new AbortController();
  let letGo: () => void = () => undefined;
  const held = new Promise<void>((r) => (letGo = r));
  let won: () => void = () => undefined;
  const owned = new Promise<void>((r) => (won = r));
  const hold = () => {
    on.owner();
    won();
    return held; // kept until released or the page goes
  };
  const ignore = () => undefined; // aborted while waiting: someone else owns it
  locks
    .request(name, { ifAvailable: true }, (lock) => {
      if (lock) return hold();
      if (stop.signal.aborted) return undefined;
      on.waiting?.();
      locks.request(name, { mode: 'exclusive', signal: stop.signal }, hold).catch(ignore);
      return undefined;
    })
    .catch(ignore);
  return {
    owned,
    release: () => {
      stop.abort();
      letGo();
    },
  };
}

/**
 * What a tab that does not own the network asks the owner to do (docs/tabs.md §3): the
 * ConnectionManager entry points that need the network. Each resolves once the owner did it.
 */
export interface OwnerNetwork {
  /** The outbox of `key` changed in IndexedDB: the owner sends it now. */
  flush(key: string): Promise<void>;
  requestReset(key: string, reason: string): Promise<unknown>;
  keyAccepted(key: string): void;
  keyRefused(key: string): void;
  setRelayOnly(on: boolean): void;
  stopMeeting(key: string): void;
  meetAgain(key: string): void;
}

/**
 * Runs each `op` holding the Web Lock `name`, so no other tab of this Parley runs one at the same
 * time (docs/tabs.md §5). Without Web Locks, `op` runs as it is.
 */
export function acrossTabs(
  name: string,
  locks: LockManagerLike | undefined = typeof navigator !== 'undefined' ? navigator.locks : undefined,
): <T>(op: () => Promise<T>) => Promise<T> {
  return <T>(op: () => Promise<T>) => (locks ? (locks.request(name, {}, op) as Promise<T>) : op());
}

// Invites need the relay, which only the tab owning the network holds (docs/tabs.md §5): a
// following tab refuses to open or make one with TAB_NOT_OWNER and hands nothing to pairing; an
// invite from the address bar waits for a name and for the network, and is opened once.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InviteGate } from '../../src/app/invite-gate';
import type { AppError } from '../../src/app/errors';
import type { PairingState } from '../../src/app/pairing.svelte';
import { INVITE_STASH_KEY } from '../../src/app/invite-url';

function setup(owner: boolean | null) {
  const calls: string[] = [];
  const pairing = {
    open: async (text: string) => void calls.push(`open ${text}`),
    create: async () => void calls.push('create'),
    confirm: () => void calls.push('confirm'),
  } as unknown as PairingState;
  const state = { error: { code: 'RELAY_DOWN' } as AppError | null, needsName: false, owner };
  const gate = new InviteGate({
    pairing: () => pairing,
    tabs: () => (state.owner === null ? null : { owner: state.owner }),
    needsName: () => state.needsName,
    setError: (e) => (state.error = e),
  });
  return { gate, calls, state, pairing };
}

describe('InviteGate in a tab that does not own the network', () => {
  it('refuses to open or make an invite, and pairing hears nothing', async () => {
    const { gate, calls, state } = setup(false);
    await gate.open('https://x/#invite=abc');
    expect(state.error?.code).toBe('TAB_NOT_OWNER');
    await gate.create();
    expect(state.error?.code).toBe('TAB_NOT_OWNER');
    expect(gate.pairingIfOwner()).toBeNull();
    expect(calls).toEqual([]);
  });

  it('says why only when an invite is waiting', () => {
    const { gate, state } = setup(false);
    state.error = null;
    gate.following();
    expect(state.error).toBeNull();
  });
});

describe('InviteGate in the owner tab', () => {
  it('clears the banner and hands the invite to pairing', async () => {
    const { gate, calls, state, pairing } = setup(true);
    await gate.open('https://x/#invite=abc');
    expect(state.error).toBeNull();
    await gate.create();
    gate.confirm();
    expect(gate.pairingIfOwner()).toBe(pairing);
    expect(calls).toEqual(['open https://x/#invite=abc', 'create', 'confirm']);
  });

  it('before the tabs are joined, nothing is refused', async () => {
    const { gate, calls } = setup(null);
    await gate.create();
    expect(calls).toEqual(['create']);
  });
});

describe('InviteGate: the invite from the address bar', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** The page as main.ts leaves it: the link stashed in sessionStorage, the fragment gone. */
  function stashed(link: string) {
    const store = new Map([[INVITE_STASH_KEY, link]]);
    vi.stubGlobal('sessionStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    });
    vi.stubGlobal('location', { hash: '', href: 'https://x/', pathname: '/', search: '' });
    vi.stubGlobal('window', { addEventListener: () => {} });
    return store;
  }

  it('waits for a name and for the network, then is opened once', async () => {
    const store = stashed('https://x/#invite=abc');
    const { gate, calls, state } = setup(false);
    state.needsName = true;
    gate.watchAddressBar();
    expect(store.has(INVITE_STASH_KEY)).toBe(false);
    expect(gate.hasPending).toBe(true);
    gate.following();
    expect(state.error?.code).toBe('TAB_NOT_OWNER');
    await gate.openPending();
    state.needsName = false;
    await gate.openPending();
    expect(calls).toEqual([]);
    state.owner = true;
    await gate.openPending();
    await gate.openPending();
    expect(calls).toEqual(['open https://x/#invite=abc']);
    expect(gate.hasPending).toBe(false);
  });
});

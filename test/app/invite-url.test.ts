// An opened invite leaves the address bar and the history entry before the app starts (src/app/invite-url.ts).
import { describe, expect, it } from 'vitest';
import { INVITE_STASH_KEY, stashInviteFromUrl, takeStashedInvite } from '../../src/app/invite-url';

function fakeLocation(href: string) {
  const u = new URL(href);
  const replaced: string[] = [];
  return {
    loc: { hash: u.hash, href, pathname: u.pathname, search: u.search, replace: (x: string) => void replaced.push(x) },
    replaced,
  };
}
function fakeStorage() {
  const m = new Map<string, string>();
  return {
    m,
    s: {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    },
  };
}

describe('invite in the URL', () => {
  it('stashes the link and replaces the page with the URL without the fragment; the next page reads it once', () => {
    const { loc, replaced } = fakeLocation('https://parley.example/app?x=1#invite=AbC');
    const { m, s } = fakeStorage();
    expect(stashInviteFromUrl(loc, () => s)).toBe(true);
    expect(replaced).toEqual(['/app?x=1']);
    expect(m.get(INVITE_STASH_KEY)).toBe('https://parley.example/app?x=1#invite=AbC');
    expect(takeStashedInvite(() => s)).toBe('https://parley.example/app?x=1#invite=AbC');
    expect(takeStashedInvite(() => s)).toBeNull();
    expect(m.size).toBe(0);
  });

  it('does nothing without an invite, and leaves the link to the app when sessionStorage refuses', () => {
    const none = fakeLocation('https://parley.example/#other');
    expect(stashInviteFromUrl(none.loc, () => fakeStorage().s)).toBe(false);
    expect(none.replaced).toEqual([]);
    const refused = fakeLocation('https://parley.example/#invite=AbC');
    const throwing = () => {
      throw new DOMException('denied', 'SecurityError');
    };
    expect(stashInviteFromUrl(refused.loc, throwing)).toBe(false);
    expect(refused.replaced).toEqual([]);
    expect(takeStashedInvite(throwing)).toBeNull();
  });
});

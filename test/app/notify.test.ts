import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NOTIFY,
  MAX_NOTIFICATION_BODY,
  chatFragment,
  chatFromFragment,
  isNotifySettings,
  notificationFor,
  setAppBadge,
  type News,
  type NotifyContext,
} from '../../src/app/notify';
import { openChatFromNotification, type WindowClient } from '../../src/sw/notification-click';

const KEY = 'ab'.repeat(32);
const msg: News = { kind: 'message', contact: KEY, name: 'Ada', id: 'm1', text: 'meet at 6' };
const offer = (files: string[]): News => ({ kind: 'offer', contact: KEY, name: 'Ada', id: 't1', files });
const ctx = (o: Partial<NotifyContext> & { preview?: boolean; enabled?: boolean } = {}): NotifyContext => ({
  visible: o.visible ?? false,
  permission: o.permission ?? 'granted',
  settings: { enabled: o.enabled ?? true, preview: o.preview ?? false },
});

describe('when a notification is raised', () => {
  it('only while the page is hidden', () => {
    expect(notificationFor(msg, ctx({ visible: true }))).toBeNull();
    expect(notificationFor(msg, ctx({ visible: false }))).not.toBeNull();
  });

  it('only with the browser permission granted', () => {
    for (const permission of ['default', 'denied', 'unsupported'] as const)
      expect(notificationFor(msg, ctx({ permission }))).toBeNull();
  });

  it('never when the person turned them off in Parley (muted), whatever the browser allows', () => {
    expect(notificationFor(msg, ctx({ enabled: false }))).toBeNull();
    expect(notificationFor(offer(['a.txt']), ctx({ enabled: false }))).toBeNull();
  });

  it('is off until the person turns it on', () => {
    expect(DEFAULT_NOTIFY).toEqual({ enabled: false, preview: false });
  });
});

describe('what a notification says', () => {
  it("always the sender's name; the text only with previews on", () => {
    expect(notificationFor(msg, ctx())).toEqual({
      title: 'Ada',
      body: 'New message',
      tag: `parley:${KEY}`,
      contact: KEY,
    });
    expect(notificationFor(msg, ctx({ preview: true }))?.body).toBe('meet at 6');
  });

  it('an offer: how many files without previews, their names with', () => {
    expect(notificationFor(offer(['a.txt']), ctx())?.body).toBe('Wants to send you a file');
    expect(notificationFor(offer(['a.txt', 'b.txt', 'c.txt']), ctx())?.body).toBe('Wants to send you 3 files');
    expect(notificationFor(offer(['a.txt']), ctx({ preview: true }))?.body).toBe('Wants to send you a.txt');
    expect(notificationFor(offer(['a.txt', 'b', 'c']), ctx({ preview: true }))?.body).toBe(
      'Wants to send you a.txt and 2 more',
    );
  });

  it('a long text is cut; a blank one says "New message"', () => {
    const long = notificationFor({ ...msg, text: 'x'.repeat(5000) }, ctx({ preview: true }))!.body;
    expect(long).toHaveLength(MAX_NOTIFICATION_BODY);
    expect(long.endsWith('…')).toBe(true);
    expect(notificationFor({ ...msg, text: '   ' }, ctx({ preview: true }))?.body).toBe('New message');
  });
});

describe('settings, fragment and badge', () => {
  it('reads only well-formed settings', () => {
    expect(isNotifySettings({ enabled: true, preview: false })).toBe(true);
    for (const bad of [null, 'on', { enabled: 'yes', preview: false }, { enabled: true }])
      expect(isNotifySettings(bad)).toBe(false);
  });

  it('#chat=<key> round-trips; anything else is no chat', () => {
    expect(chatFromFragment(chatFragment(KEY))).toBe(KEY);
    for (const h of ['', '#chat=', `#chat=${KEY}x`, `#chat=${KEY.toUpperCase()}`, `#invite=${KEY}`])
      expect(chatFromFragment(h)).toBeNull();
  });

  it('sets the badge to the unread total and clears it at 0', () => {
    const calls: string[] = [];
    const nav = {
      setAppBadge: (n?: number) => (calls.push(`set ${n}`), Promise.resolve()),
      clearAppBadge: () => (calls.push('clear'), Promise.reject(new Error('not installed'))),
    };
    setAppBadge(nav, 3);
    setAppBadge(nav, 0);
    setAppBadge({}, 2); // no Badging API: nothing to do
    expect(calls).toEqual(['set 3', 'clear']);
  });
});

describe("a click on the service worker's notification", () => {
  const clients = (wins: WindowClient[]) => {
    const opened: string[] = [];
    return {
      opened,
      matchAll: () => Promise.resolve(wins),
      openWindow: (u: string) => (opened.push(u), Promise.resolve(null)),
    };
  };
  const win = () => {
    const w = { url: '/', focused: false, posted: [] as unknown[] };
    return Object.assign(w, {
      focus: () => ((w.focused = true), Promise.resolve(w)),
      postMessage: (m: unknown) => void w.posted.push(m),
    });
  };

  it('focuses an open Parley window and asks it to open the chat', async () => {
    const w = win();
    const c = clients([w]);
    await openChatFromNotification(c, { contact: KEY });
    expect(w.focused).toBe(true);
    expect(w.posted).toEqual([{ type: 'parley-open-chat', contact: KEY }]);
    expect(c.opened).toEqual([]);
  });

  it('opens a window on the chat when none is open, and never passes on a malformed key', async () => {
    const c = clients([]);
    await openChatFromNotification(c, { contact: KEY });
    await openChatFromNotification(c, { contact: '../../evil' });
    expect(c.opened).toEqual([`/#chat=${KEY}`, '/']);
    const w = win();
    await openChatFromNotification(clients([w]), { contact: 42 });
    expect(w.posted).toEqual([]);
  });
});

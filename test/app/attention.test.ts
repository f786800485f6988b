import { describe, expect, it } from 'vitest';
import {
  addRename,
  isReadMarks,
  isRenameNotes,
  MAX_RENAME_NOTES,
  memoryKeyValue,
  offerNoticeText,
  pageTitle,
  readJson,
  renameText,
  unreadIds,
  unseenOffers,
  writeJson,
} from '../../src/app/attention';
import type { MessageRecord } from '../../src/store/db';
import type { TransferView } from '../../src/app/transfer-view';

const incoming = (id: string, receivedAt: number): MessageRecord => ({
  contact: 'c',
  id,
  direction: 'in',
  text: id,
  sentAt: receivedAt - 1000,
  receivedAt,
  delivered: true,
});
const offer = (o: Partial<TransferView>): TransferView => ({
  id: 'x',
  direction: 'in',
  files: [{ name: 'a', type: '', size: 1 }],
  status: 'offered',
  done: 0,
  total: 1,
  speed: 0,
  etaMs: null,
  createdAt: 100,
  urls: [],
  accepted: null,
  saved: [],
  purged: false,
  ...o,
});

describe('unread counts and notices (docs/app.md "Unread and notices")', () => {
  it("unread = incoming messages received after the read mark, by our clock (not the sender's)", () => {
    const out: MessageRecord = { ...incoming('o', 500), direction: 'out', delivered: false };
    // 'late' was sent before the mark (the friend was offline) but arrived after it: unread.
    const late = { ...incoming('late', 300), sentAt: 10 };
    expect(unreadIds([incoming('a', 100), incoming('b', 200), late, out], 200)).toEqual(['late']);
    expect(unreadIds([incoming('a', 100)], 0)).toEqual(['a']);
  });

  it('only unanswered incoming offers made after the mark count', () => {
    const list = [
      offer({ id: '1', createdAt: 50 }),
      offer({ id: '2', createdAt: 150 }),
      offer({ id: '3', createdAt: 150, status: 'active' }),
      offer({ id: '4', createdAt: 150, direction: 'out' }),
    ];
    expect(unseenOffers(list, 100).map((t) => t.id)).toEqual(['2']);
  });

  it('title and notice words', () => {
    expect(pageTitle(0)).toBe('Parley');
    expect(pageTitle(2)).toBe('(2) Parley');
    expect(offerNoticeText('Ada', 3)).toBe('Ada wants to send you 3 files — open chat');
    expect(offerNoticeText('Ada', 1)).toBe('Ada wants to send you a file — open chat');
  });

  it('renames: a line per change, the last ones only', () => {
    let notes = addRename({}, 'k', { from: 'Ada', to: 'Ada L.', at: 1 });
    expect(renameText(notes.k![0]!)).toBe('Ada is now called Ada L.');
    for (let i = 0; i < 30; i++) notes = addRename(notes, 'k', { from: `n${i}`, to: `n${i + 1}`, at: i + 2 });
    expect(notes.k).toHaveLength(MAX_RENAME_NOTES);
    expect(notes.k!.at(-1)!.to).toBe('n30');
  });

  it('stored marks survive a round trip; damaged or foreign values read as empty, never throw', () => {
    const kv = memoryKeyValue();
    writeJson(kv, 'm', { a: 5 });
    expect(readJson(kv, 'm', {}, isReadMarks)).toEqual({ a: 5 });
    for (const bad of ['{', '[1]', '{"a":"x"}', 'null', '{"a":null}']) {
      kv.setItem('m', bad);
      expect(readJson(kv, 'm', {}, isReadMarks)).toEqual({});
    }
    kv.setItem('r', '{"k":[{"from":"a","to":1,"at":0}]}');
    expect(readJson(kv, 'r', {}, isRenameNotes)).toEqual({});
    const failing = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(readJson(failing, 'm', {}, isReadMarks)).toEqual({});
    expect(() => writeJson(failing, 'm', { a: 1 })).not.toThrow();
  });
});

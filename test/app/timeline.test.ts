import { describe, expect, it } from 'vitest';
import { messageState, timeline } from '../../src/app/timeline';
import type { MessageRecord } from '../../src/store/db';
import type { TransferView } from '../../src/app/transfer-view';

const at = (d: number, h: number) => new Date(2026, 11, d, h).getTime();
const msg = (id: string, sentAt: number, o: Partial<MessageRecord> = {}): MessageRecord => ({
  contact: 'c',
  id,
  direction: 'out',
  text: id,
  sentAt,
  delivered: false,
  ...o,
});

describe('the message list timeline (docs/app.md "Chat history")', () => {
  it('puts one date separator before the first row of each local day', () => {
    const rows = timeline(
      [msg('a', at(3, 10)), msg('b', at(3, 23)), msg('c', at(5, 1))],
      [{ id: 'T', createdAt: at(4, 12) } as TransferView],
      [{ at: at(5, 2), text: 'Ada is now called Ada L.' }],
    );
    expect(rows.map((r) => r.kind)).toEqual(['day', 'msg', 'msg', 'day', 'file', 'day', 'msg', 'note']);
    expect(rows.filter((r) => r.kind === 'day').map((r) => r.at)).toEqual([
      new Date(2026, 11, 3).getTime(),
      new Date(2026, 11, 4).getTime(),
      new Date(2026, 11, 5).getTime(),
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });
  it('leaves out transfers and notes older than the oldest loaded message while older pages wait', () => {
    const rows = timeline([msg('b', at(5, 10))], [{ id: 'T', createdAt: at(4, 12) } as TransferView], [], at(5, 10));
    expect(rows.map((r) => r.kind)).toEqual(['day', 'msg']);
  });
  it('an outgoing message is pending until it left on a link, sent until its receipt, then delivered', () => {
    expect(messageState(msg('a', 1))).toBe('pending');
    expect(messageState(msg('a', 1, { sentOnLink: 2 }))).toBe('sent');
    expect(messageState(msg('a', 1, { sentOnLink: 2, delivered: true }))).toBe('delivered');
    // A receipt for a message whose "sent" mark was never written (an older version's history).
    expect(messageState(msg('a', 1, { delivered: true }))).toBe('delivered');
    expect(messageState(msg('a', 1, { direction: 'in', delivered: true }))).toBe('delivered');
  });
  it('a message left at the relay waits there until it goes out on a link or its receipt comes', () => {
    expect(messageState(msg('a', 1, { mailboxAt: 2 }))).toBe('mailbox');
    expect(messageState(msg('a', 1, { mailboxAt: 2, sentOnLink: 3 }))).toBe('sent');
    expect(messageState(msg('a', 1, { mailboxAt: 2, delivered: true }))).toBe('delivered');
  });
});

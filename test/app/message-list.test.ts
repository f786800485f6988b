import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { upsertMessage } from '../../src/app/message-list';
import type { MessageRecord } from '../../src/store/db';

const msg = (id: string, sentAt: number, delivered = false): MessageRecord => ({
  contact: 'c',
  id,
  direction: 'out',
  text: id,
  sentAt,
  delivered,
});
/** The order a full reload from IndexedDB gives (byContactTime, ties by primary key). */
const reloadOrder = (l: MessageRecord[]) =>
  [...l].sort((a, b) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

describe('patching the open chat instead of reloading it (review-2026-11-app L3)', () => {
  it('any sequence of arrivals and re-deliveries gives what a full reload would show', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ id: fc.string({ minLength: 1, maxLength: 3 }), sentAt: fc.nat(20), delivered: fc.boolean() }),
          { maxLength: 40 },
        ),
        (ops) => {
          let list: MessageRecord[] = [];
          const stored = new Map<string, MessageRecord>();
          for (const o of ops) {
            // The store keeps the first sentAt of an id; later events for it only change the delivered mark.
            const m = msg(o.id, stored.get(o.id)?.sentAt ?? o.sentAt, o.delivered);
            stored.set(o.id, m);
            list = upsertMessage(list, m);
          }
          expect(list).toEqual(reloadOrder([...stored.values()]));
        },
      ),
    );
  });

  it('a delivered mark replaces the message in place; the input list is left alone', () => {
    const a = msg('a', 1),
      b = msg('b', 2),
      c = msg('c', 3);
    const list = [a, b, c];
    const next = upsertMessage(list, { ...b, delivered: true });
    expect(next.map((m) => [m.id, m.delivered])).toEqual([
      ['a', false],
      ['b', true],
      ['c', false],
    ]);
    expect(list[1]!.delivered).toBe(false);
    // A message sent earlier but arriving late (the friend was offline) goes where its time says.
    expect(upsertMessage(list, msg('z', 0)).map((m) => m.id)).toEqual(['z', 'a', 'b', 'c']);
    expect(upsertMessage(list, msg('bb', 2)).map((m) => m.id)).toEqual(['a', 'b', 'bb', 'c']);
  });
});

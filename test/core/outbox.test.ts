import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  acknowledge,
  createInbox,
  createOutbox,
  enqueue,
  MAX_INBOX_STREAMS,
  parseMessageId,
  pending,
  receive,
  resume,
  resumePoint,
  type Inbox,
  type Outbox,
} from '../../src/core/outbox';
import { MESSAGE_ID_RE } from '../../src/core/wire';

let counter = 7;
const random = (n: number) =>
  Uint8Array.from({ length: n }, () => (counter = (counter * 1103515245 + 12345) >>> 0) >>> 24);
/** JSON round trip: what persisting to storage and reading back after a crash does. */
const persist = <S>(s: S): S => JSON.parse(JSON.stringify(s)) as S;

function ok<R extends { ok: boolean }>(r: R): Extract<R, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r as Extract<R, { ok: true }>;
}
function queued(texts: string[], outbox: Outbox<string> = createOutbox<string>(random)): Outbox<string> {
  for (const t of texts) outbox = enqueue(outbox, t, 1).outbox;
  return outbox;
}

describe('outbox: sender', () => {
  it('numbers messages 1, 2, 3 in one random stream, with ids that are valid wire ids', () => {
    const o = queued(['a', 'b', 'c']);
    expect(pending(o).map((e) => [e.seq, e.payload])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    for (const e of pending(o)) {
      expect(e.id).toMatch(MESSAGE_ID_RE);
      expect(parseMessageId(e.id)).toEqual({ stream: o.stream, seq: e.seq });
    }
    expect(createOutbox(random).stream).not.toBe(o.stream);
    expect(resumePoint(o)).toEqual({ stream: o.stream, base: 1 });
  });

  it('a receipt removes exactly its message; a repeat is harmless; a stranger receipt is a typed failure', () => {
    const o = queued(['a', 'b', 'c']);
    const before = JSON.stringify(o);
    const r = ok(acknowledge(o, pending(o)[1]!.id));
    expect(JSON.stringify(o)).toBe(before); // inputs are never mutated
    expect(r.delivered?.payload).toBe('b');
    expect(pending(r.outbox).map((e) => e.payload)).toEqual(['a', 'c']);
    expect(ok(acknowledge(r.outbox, pending(o)[1]!.id))).toMatchObject({ delivered: null });
    expect(resumePoint(ok(acknowledge(r.outbox, pending(o)[0]!.id)).outbox).base).toBe(3);
    for (const id of [
      `${o.stream}-4`,
      `${createOutbox(random).stream}-1`,
      'm-1',
      '',
      `${o.stream}-0`,
      `${o.stream}-01`,
    ])
      expect(acknowledge(o, id)).toMatchObject({ ok: false, code: 'OUTBOX_UNKNOWN_RECEIPT', side: 'sender' });
  });

  it('parses only <11 base64url>-<seq> ids (property: never throws)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const p = parseMessageId(s);
        if (p) expect(`${p.stream}-${p.seq}`).toBe(s);
      }),
    );
    expect(parseMessageId('AAAAAAAAAAA-99999999999999999')).toBeNull(); // beyond 2^53
  });
});

describe('outbox: receiver', () => {
  const o = queued(['a', 'b', 'c', 'd', 'e']);
  const e = pending(o);

  it('delivers in order, holds what comes early, reports the holes, and receipts repeats again', () => {
    let inbox = createInbox<string>();
    const step = (i: number) => {
      const r = ok(receive(inbox, e[i]!.id, e[i]!.payload));
      inbox = r.inbox;
      return [
        r.status,
        r.deliver.map((m) => m.payload).join(''),
        r.missing,
        r.receipts.map((x) => parseMessageId(x)!.seq),
      ];
    };
    expect(step(2)).toEqual(['held', '', [1, 2], []]);
    expect(step(4)).toEqual(['held', '', [1, 2, 4], []]);
    expect(step(0)).toEqual(['delivered', 'a', [2, 4], [1]]);
    expect(step(2)).toEqual(['duplicate', '', [2, 4], []]); // held, not yet shown: no receipt
    expect(step(1)).toEqual(['delivered', 'bc', [4], [2, 3]]);
    expect(step(0)).toEqual(['duplicate', '', [4], [1]]); // shown: receipted again
    expect(step(3)).toEqual(['delivered', 'de', [], [4, 5]]);
  });

  it('does not keep what lies beyond the window, and does not receipt it', () => {
    const r = ok(receive(createInbox<string>(), e[3]!.id, 'd', { window: 3 }));
    expect(r).toMatchObject({ status: 'too-far', receipts: [], deliver: [] });
    expect(r.inbox).toEqual(createInbox());
  });

  it('refuses ids not made by an outbox with a typed failure (property: never throws)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const r = receive(createInbox<string>(), s, 'x');
        if (!r.ok) expect(r).toMatchObject({ code: 'OUTBOX_BAD_ID', side: 'receiver' });
        else expect(parseMessageId(s)).not.toBeNull();
      }),
    );
  });

  it('a sender that lost its state starts a new stream, and its messages are not taken for repeats', () => {
    let inbox = createInbox<string>();
    for (const o2 of [queued(['old1', 'old2']), queued(['new1', 'new2'])]) {
      for (const m of pending(o2)) {
        const r = ok(receive(inbox, m.id, m.payload));
        expect(r.status).toBe('delivered');
        inbox = r.inbox;
      }
    }
    expect(inbox.streams).toHaveLength(2);
  });

  it('a receiver that lost its state is unblocked by the resume point, and an old resume point changes nothing', () => {
    let sender = queued(['a', 'b', 'c', 'd']);
    for (const m of pending(sender).slice(0, 2)) sender = ok(acknowledge(sender, m.id)).outbox; // delivered before the reset
    let inbox = createInbox<string>();
    const c = pending(sender)[1]!; // 'd' arrives before 'c'
    inbox = ok(receive(inbox, c.id, c.payload)).inbox;
    expect(resume(inbox, { stream: sender.stream, base: 1 }).deliver).toEqual([]);
    const r = resume(inbox, resumePoint(sender));
    expect(r.deliver).toEqual([]); // base 3: 'c' (3) is still missing, 'd' stays held
    const r2 = ok(receive(r.inbox, pending(sender)[0]!.id, 'c'));
    expect(r2.deliver.map((m) => m.payload)).toEqual(['c', 'd']);
    // A resume point past held messages releases them in order.
    const held = ok(
      receive(ok(receive(createInbox<string>(), `${sender.stream}-5`, 'x')).inbox, `${sender.stream}-7`, 'z'),
    ).inbox;
    const released = resume(held, { stream: sender.stream, base: 7 });
    expect(released.deliver.map((m) => m.payload)).toEqual(['x', 'z']);
    expect(released.receipts).toEqual([`${sender.stream}-5`, `${sender.stream}-7`]);
    expect(() => resume(held, { stream: 'short', base: 2 })).toThrow(/point/);
  });

  it(`remembers at most ${MAX_INBOX_STREAMS} streams, evicting idle ones before any that hold messages`, () => {
    let inbox = createInbox<string>();
    const busy = createOutbox<string>(random).stream;
    inbox = ok(receive(inbox, `${busy}-2`, 'held')).inbox;
    for (let i = 0; i < MAX_INBOX_STREAMS + 5; i++)
      inbox = ok(receive(inbox, `${createOutbox(random).stream}-1`, 'x')).inbox;
    expect(inbox.streams).toHaveLength(MAX_INBOX_STREAMS);
    expect(inbox.streams.some((s) => s.stream === busy)).toBe(true);
    expect(ok(receive(inbox, `${busy}-1`, 'first')).deliver.map((m) => m.payload)).toEqual(['first', 'held']);
  });
});

// ---- The whole story, with a hostile network and crashes ----

type Crash = 'none' | 'before-commit' | 'after-commit';
type Cmd =
  | { t: 'send'; crash: Crash }
  | { t: 'connect' }
  | { t: 'disconnect'; keepInFlight: boolean }
  | { t: 'toReceiver'; pick: number; duplicate: boolean; crash: Crash }
  | { t: 'toSender'; pick: number; duplicate: boolean; crash: Crash }
  | { t: 'receiverReset' }
  | { t: 'senderReset' };
type Packet =
  { kind: 'msg'; id: string; payload: string } | { kind: 'resume'; point: { stream: string; base: number } };

const arbCrash = fc.constantFrom<Crash>('none', 'none', 'none', 'before-commit', 'after-commit');
const arbCmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('send' as const), crash: arbCrash }), weight: 4 },
  { arbitrary: fc.constant({ t: 'connect' as const }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('disconnect' as const), keepInFlight: fc.boolean() }), weight: 1 },
  {
    arbitrary: fc.record({
      t: fc.constant('toReceiver' as const),
      pick: fc.nat(),
      duplicate: fc.boolean(),
      crash: arbCrash,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      t: fc.constant('toSender' as const),
      pick: fc.nat(),
      duplicate: fc.boolean(),
      crash: arbCrash,
    }),
    weight: 3,
  },
);

/**
 * One sender, one receiver. Each side's durable state is a JSON snapshot written at commit;
 * a crash throws away everything not committed (and what was about to be sent). The network
 * loses, duplicates and reorders packets, and may deliver packets of a closed link late.
 */
function simulate(cmds: Cmd[], window: number, broken: 'none' | 'forget-duplicates' = 'none') {
  let sender = persist({ outbox: createOutbox<string>(random), marked: [] as string[], n: 0 });
  let receiver = persist({ inbox: createInbox<string>() as Inbox<string>, app: [] as string[] });
  const written: string[] = []; // messages whose enqueue committed: the app told the user "sent"
  let toReceiver: Packet[] = [];
  let toSender: string[] = [];
  let connected = false;

  const transmit = (packets: Packet[]) => {
    if (connected) toReceiver.push(...packets);
  };
  const onConnect = () =>
    transmit([
      { kind: 'resume', point: resumePoint(sender.outbox) },
      ...pending(sender.outbox).map((e) => ({ kind: 'msg' as const, id: e.id, payload: e.payload })),
    ]);
  const take = <P>(queue: P[], pick: number, duplicate: boolean): P => {
    const i = pick % queue.length;
    return duplicate ? queue[i]! : queue.splice(i, 1)[0]!;
  };
  const atReceiver = (p: Packet, crash: Crash) => {
    let next = receiver;
    const receipts: string[] = [];
    if (p.kind === 'resume') {
      const r = resume(receiver.inbox, p.point);
      next = { inbox: r.inbox, app: [...receiver.app, ...r.deliver.map((m) => m.payload)] };
      receipts.push(...r.receipts);
    } else {
      const r = ok(receive(receiver.inbox, p.id, p.payload, { window }));
      // The mutant: a receiver that trusts its transport and hands over every message it gets.
      if (broken === 'forget-duplicates') r.deliver = [{ id: p.id, seq: 0, payload: p.payload }];
      next = { inbox: r.inbox, app: [...receiver.app, ...r.deliver.map((m) => m.payload)] };
      receipts.push(...r.receipts);
    }
    if (crash === 'before-commit') return;
    receiver = persist(next); // state and delivered messages in one transaction
    if (crash === 'none') toSender.push(...receipts);
  };
  const atSender = (id: string, crash: Crash) => {
    const r = acknowledge(sender.outbox, id);
    if (!r.ok) {
      // Only a receipt for a stream this sender no longer has (after a reset) may be unknown.
      expect(parseMessageId(id)!.stream).not.toBe(sender.outbox.stream);
      return;
    }
    if (crash === 'before-commit') return;
    sender = persist({
      ...sender,
      outbox: r.outbox,
      marked: r.delivered ? [...sender.marked, r.delivered.payload] : sender.marked,
    });
  };

  let lastReset = -1; // index in `written` of the first message after the receiver's last reset
  let lastSenderReset = -1;
  let senderResets = 0;
  const epoch = new Map<string, number>(); // message → the sender stream (counted in resets) that wrote it
  for (const c of cmds) {
    if (c.t === 'send') {
      const text = `m${sender.n}`;
      const { outbox, entry } = enqueue(sender.outbox, text, 1);
      if (c.crash === 'before-commit') continue; // never written; the user sees an error
      sender = persist({ ...sender, outbox, n: sender.n + 1 });
      written.push(text);
      epoch.set(text, senderResets);
      if (c.crash === 'none') transmit([{ kind: 'msg', id: entry.id, payload: entry.payload }]);
    } else if (c.t === 'connect') {
      if (!connected) {
        connected = true;
        onConnect();
      }
    } else if (c.t === 'disconnect') {
      connected = false;
      if (!c.keepInFlight) {
        toReceiver = [];
        toSender = [];
      }
    } else if (c.t === 'toReceiver' && toReceiver.length > 0) {
      atReceiver(take(toReceiver, c.pick, c.duplicate), c.crash);
    } else if (c.t === 'toSender' && toSender.length > 0) {
      atSender(take(toSender, c.pick, c.duplicate), c.crash);
    } else if (c.t === 'receiverReset') {
      receiver = persist({ inbox: createInbox<string>(), app: [] }); // a new browser: the inbox and history are gone
      lastReset = written.length;
    } else if (c.t === 'senderReset') {
      // A new browser for the sender: its outbox (and so its unsent messages) is gone; it starts a new stream.
      sender = persist({ outbox: createOutbox<string>(random), marked: [], n: sender.n });
      lastSenderReset = written.length;
      senderResets++;
    }
    // In order at every moment: what the app has shown is a prefix of what was written
    // (after a reset: strictly increasing, nothing twice).
    // (after a reset: within each sender stream strictly increasing, nothing twice — a lost
    // sender's last packets may still arrive after its new stream's first ones).
    if (lastReset < 0 && lastSenderReset < 0) expect(written.slice(0, receiver.app.length)).toEqual(receiver.app);
    for (const e of new Set(epoch.values())) {
      const seen = receiver.app.filter((m) => epoch.get(m) === e).map((m) => written.indexOf(m));
      expect(seen.every((w, i) => i === 0 || w > seen[i - 1]!)).toBe(true);
    }
  }

  // Both come online for good; links keep reopening until the outbox is empty.
  for (
    let round = 0;
    round < 100 && (pending(sender.outbox).length > 0 || toReceiver.length > 0 || toSender.length > 0);
    round++
  ) {
    connected = false;
    connected = true;
    onConnect();
    while (toReceiver.length > 0 || toSender.length > 0) {
      if (toReceiver.length > 0) atReceiver(toReceiver.shift()!, 'none');
      else atSender(toSender.shift()!, 'none');
    }
  }
  return {
    written,
    app: receiver.app,
    marked: sender.marked,
    left: pending(sender.outbox).length,
    lastReset,
    lastSenderReset,
  };
}

describe('outbox: exactly once and in order, whatever the network and crashes do', () => {
  it('every written message reaches the app exactly once, in order, and is marked delivered once (property)', () => {
    fc.assert(
      fc.property(fc.array(arbCmd, { maxLength: 150, size: 'max' }), fc.integer({ min: 1, max: 8 }), (cmds, window) => {
        const { written, app, marked, left } = simulate(cmds, window);
        expect(left).toBe(0);
        expect(app).toEqual(written);
        expect(marked.slice().sort()).toEqual(written.slice().sort());
      }),
      { numRuns: 400 },
    );
  });

  it('a receiver that loses all its data (new browser) never blocks: everything written after it arrives once, in order (property)', () => {
    const withResets = fc.oneof(
      { arbitrary: arbCmd, weight: 30 },
      { arbitrary: fc.constant({ t: 'receiverReset' as const }), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.array(withResets, { maxLength: 150, size: 'max' }),
        fc.integer({ min: 1, max: 8 }),
        (cmds, window) => {
          const { written, app, left, lastReset } = simulate(cmds, window);
          expect(left).toBe(0);
          const after = written.slice(Math.max(0, lastReset));
          expect(app.slice(app.length - after.length)).toEqual(after);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a sender that loses all its data starts a new stream: its new messages arrive once, in order, never taken for repeats (property)', () => {
    const withResets = fc.oneof(
      { arbitrary: arbCmd, weight: 30 },
      { arbitrary: fc.constant({ t: 'senderReset' as const }), weight: 1 },
    );
    fc.assert(
      fc.property(
        fc.array(withResets, { maxLength: 150, size: 'max' }),
        fc.integer({ min: 1, max: 8 }),
        (cmds, window) => {
          const { written, app, left, lastSenderReset } = simulate(cmds, window);
          expect(left).toBe(0);
          expect(new Set(app).size).toBe(app.length); // nothing twice
          const after = written.slice(Math.max(0, lastSenderReset));
          expect(app.filter((m) => after.includes(m))).toEqual(after);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the property can fail: it catches a receiver that hands over what it gets without dedupe', () => {
    const run = fc.check(
      fc.property(fc.array(arbCmd, { maxLength: 150, size: 'max' }), (cmds) => {
        const { written, app } = simulate(cmds, 8, 'forget-duplicates');
        expect(app).toEqual(written);
      }),
      { numRuns: 400 },
    );
    expect(run.failed).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { canSend, decrypt, encrypt, parseState, serializeState, type RatchetState } from '../../src/core/ratchet';
import { pair, snapshot } from './ratchet-helpers';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const roundTrip = (s: RatchetState): RatchetState => {
  const r = parseState(JSON.parse(JSON.stringify(serializeState(s))));
  if (!r.ok) throw new Error(r.message);
  return r.state;
};

type Op = ['A' | 'B' | 'deliver', number];
const opArb = fc.array(fc.tuple(fc.constantFrom<'A' | 'B' | 'deliver'>('A', 'B', 'deliver', 'deliver'), fc.nat()), {
  maxLength: 30,
});

/**
 * Plays a conversation with arbitrary interleaving of sends and (reordered) deliveries.
 * Every message must decrypt exactly once to what was sent; a second delivery must fail and
 * leave the receiver's state as it was. With `persist`, every state goes through JSON between steps.
 */
async function converse(ops: Op[], label: string, persist: boolean) {
  const p = await pair(label, { maxSkip: 40, maxSkippedSteps: 1000 });
  const st: Record<'A' | 'B', RatchetState> = { A: p.a, B: p.b };
  const pending: { to: 'A' | 'B'; msg: Uint8Array; text: string }[] = [];
  let sent = 0;
  const deliver = async (i: number) => {
    const [m] = pending.splice(i, 1);
    if (!m) return;
    const r = await decrypt(st[m.to], m.msg, 0);
    if (!r.ok) throw new Error(`${m.text} → ${m.to}: ${r.code} ${r.message}`);
    expect(text(r.plaintext)).toBe(m.text);
    st[m.to] = persist ? roundTrip(r.newState) : r.newState;
    if (persist) expect(st[m.to]).toEqual(r.newState);
    const before = snapshot(st[m.to]);
    const again = await decrypt(st[m.to], m.msg, 0);
    expect(again.ok).toBe(false);
    expect(snapshot(st[m.to])).toBe(before);
  };
  for (const [kind, n] of ops) {
    if (kind === 'deliver') {
      if (pending.length) await deliver(n % pending.length);
      continue;
    }
    if (!canSend(st[kind])) continue;
    const t = `${kind}${sent++}`;
    const e = encrypt(st[kind], utf8ToBytes(t), p.random);
    st[kind] = persist ? roundTrip(e.state) : e.state;
    pending.push({ to: kind === 'A' ? 'B' : 'A', msg: e.message, text: t });
  }
  while (pending.length) await deliver(pending.length - 1); // the rest, newest first
}

describe('ratchet properties', () => {
  it('any permutation of up to MAX_SKIP + 1 messages of one chain decrypts, each exactly once', async () => {
    const maxSkip = 12;
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: maxSkip + 1 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n })),
          ),
        async ([n, order]) => {
          let { a, b } = await pair(`perm/${n}`, { maxSkip });
          const msgs: Uint8Array[] = [];
          for (let i = 0; i < n; i++) {
            const e = encrypt(a, utf8ToBytes(`m${i}`));
            a = e.state;
            msgs.push(e.message);
          }
          for (const i of order) {
            const r = await decrypt(b, msgs[i] as Uint8Array, 0);
            expect(r.ok && text(r.plaintext)).toBe(`m${i}`);
            if (r.ok) b = r.newState;
            const before = snapshot(b);
            const again = await decrypt(b, msgs[i] as Uint8Array, 0); // the same message a second time
            expect(again.ok).toBe(false);
            expect(snapshot(b)).toBe(before);
          }
          expect(b.skipped.length).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('arbitrary conversations with reordering and DH steps: each message once, replays refused', async () => {
    await fc.assert(
      fc.asyncProperty(opArb, fc.nat(), async (ops, seed) => converse(ops, `conv/${seed}`, false)),
      { numRuns: 80 },
    );
  });

  it('serialization round-trip: a conversation persisted to JSON after every step behaves the same', async () => {
    await fc.assert(
      fc.asyncProperty(opArb, fc.nat(), async (ops, seed) => converse(ops, `persist/${seed}`, true)),
      { numRuns: 60 },
    );
  });

  it('messages beyond the skip bound are refused and change nothing; the chain still works after', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 4 }), async (maxSkip, over) => {
        const p = await pair(`bound/${maxSkip}/${over}`, { maxSkip });
        const b = p.b;
        let a = p.a;
        const msgs: Uint8Array[] = [];
        for (let i = 0; i <= maxSkip + over; i++) {
          const e = encrypt(a, utf8ToBytes(`m${i}`));
          a = e.state;
          msgs.push(e.message);
        }
        const before = snapshot(b);
        const r = await decrypt(b, msgs[maxSkip + over] as Uint8Array, 0);
        expect(r.ok ? 'ok' : r.code).toBe('RATCHET_TOO_MANY_SKIPPED');
        expect(snapshot(b)).toBe(before);
        const ok = await decrypt(b, msgs[maxSkip] as Uint8Array, 0);
        expect(ok.ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('a flipped bit anywhere in a message (header or body) is refused without a state change', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.nat(7),
        fc.boolean(),
        async (k, pos, bit, afterStep) => {
          let { a, b } = await pair(`flip/${k}/${afterStep}`);
          if (afterStep) {
            const x = encrypt(a, utf8ToBytes('x'));
            a = x.state;
            const r1 = await decrypt(b, x.message, 0);
            if (r1.ok) b = r1.newState;
            const y = encrypt(b, utf8ToBytes('y'));
            b = y.state;
            const r2 = await decrypt(a, y.message, 0);
            if (r2.ok) a = r2.newState;
          }
          let msg: Uint8Array = new Uint8Array(0);
          for (let i = 0; i < k; i++) {
            const e = encrypt(a, utf8ToBytes(`payload ${i}`));
            a = e.state;
            msg = e.message;
          }
          const t = msg.slice();
          const at = pos % t.length;
          t[at] = (t[at] as number) ^ (1 << bit);
          const before = snapshot(b);
          expect((await decrypt(b, t, 0)).ok).toBe(false);
          expect(snapshot(b)).toBe(before);
          const r = await decrypt(b, msg, 0);
          expect(r.ok && text(r.plaintext)).toBe(`payload ${k - 1}`);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('parseState never throws on arbitrary input, and refuses a state with a field removed or resized', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (x) => {
        expect(parseState(x).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
    let { a, b } = await pair('parse');
    const e = encrypt(a, utf8ToBytes('m'));
    a = e.state;
    const r = await decrypt(b, encrypt(a, utf8ToBytes('n')).message, 0);
    if (r.ok) b = r.newState;
    const json = serializeState(b) as unknown as Record<string, unknown>;
    const keys = Object.keys(json);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.boolean(), async (key, drop) => {
        const copy: Record<string, unknown> = structuredClone(json);
        if (drop) delete copy[key];
        // `ad` has no fixed length, so it gets a non-hex character instead of an extra byte.
        else
          copy[key] =
            key === 'ad'
              ? 'zz'
              : typeof copy[key] === 'string'
                ? `${copy[key] as string}00`
                : typeof copy[key] === 'number'
                  ? -1
                  : 'x';
        const p = parseState(copy);
        expect(p.ok).toBe(false);
        if (!p.ok) expect(p.code).toBe('RATCHET_STATE_INVALID');
      }),
      { numRuns: 100 },
    );
  });
});

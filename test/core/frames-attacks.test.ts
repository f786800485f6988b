/**
 * Attack tests: an attacker sits on the transport between two real FrameChannels and replays,
 * reorders, drops, tampers with, truncates, reflects or splices frames. Each attack must end the
 * channel with the right typed Failure, and the channel must stay dead afterwards.
 */
import { describe, expect, it } from 'vitest';
import { FrameChannel, FRAME_HEADER_LENGTH, MAX_FRAME_SIZE, type FrameResult } from '../../src/core/frames';
import { confirmedPair, outcome, pair } from '../support/frame-pair';

const enc = (s: string) => new TextEncoder().encode(s);

/** a seals `n` data frames "m0".."m(n-1)" in order; the attacker sees them all. */
async function sealMany(a: FrameChannel, n: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) frames.push(await a.seal(enc(`m${i}`)));
  return frames;
}

function expectFailure(r: FrameResult, code: string, message?: RegExp) {
  expect(outcome(r)).toBe(code);
  if (!r.ok) {
    expect(r.side).toBe('receiver');
    expect(r.message).toMatch(/^frames: receiver, /);
    if (message) expect(r.message).toMatch(message);
  }
}

describe.each(['webcrypto', 'noble'] as const)('attacks on frames (%s)', (backend) => {
  it('replayer: a frame delivered twice is FRAME_REPLAYED', async () => {
    const { a, b } = await confirmedPair(backend);
    const [f0, f1] = await sealMany(a, 2);
    expect(outcome(await b.open(f0!))).toBe('data');
    expect(outcome(await b.open(f1!))).toBe('data');
    expectFailure(await b.open(f0!), 'FRAME_REPLAYED', /frame 1 arrived again \(expected 3\).*replayed/);
  });
  it('replayer: the key confirmation replayed later is FRAME_REPLAYED', async () => {
    const p = await pair(backend);
    const conf = await p.a.confirmation();
    expect(outcome(await p.b.open(conf))).toBe('confirmed');
    expect(outcome(await p.b.open(await p.a.seal(enc('x'))))).toBe('data');
    expectFailure(await p.b.open(conf), 'FRAME_REPLAYED');
  });
  it('reorderer: swapping two frames is FRAME_OUT_OF_ORDER', async () => {
    const { a, b } = await confirmedPair(backend);
    const [f0, f1] = await sealMany(a, 2);
    expectFailure(await b.open(f1!), 'FRAME_OUT_OF_ORDER', /frame 2 arrived while 1 was expected/);
    expectFailure(await b.open(f0!), 'FRAME_OUT_OF_ORDER'); // dead: the first failure sticks
  });
  it('dropper: a missing frame is FRAME_OUT_OF_ORDER naming the gap', async () => {
    const { a, b } = await confirmedPair(backend);
    const frames = await sealMany(a, 5);
    expect(outcome(await b.open(frames[0]!))).toBe('data');
    expectFailure(await b.open(frames[3]!), 'FRAME_OUT_OF_ORDER', /frame\(s\) 2\.\.3 were dropped or reordered/);
  });
  it('dropper: dropping the key confirmation is FRAME_BEFORE_CONFIRMATION', async () => {
    const p = await pair(backend);
    await p.a.confirmation(); // dropped
    expectFailure(
      await p.b.open(await p.a.seal(enc('hi'))),
      'FRAME_BEFORE_CONFIRMATION',
      /before its key confirmation/,
    );
  });
  it('dropper: dropping the last frames and the goodbye, then closing, is FRAME_TRUNCATED', async () => {
    const { a, b } = await confirmedPair(backend);
    const frames = await sealMany(a, 3);
    expect(outcome(await b.open(frames[0]!))).toBe('data');
    await a.goodbye(); // never delivered, nor frames 1-2
    expectFailure(b.transportClosed(), 'FRAME_TRUNCATED', /without the peer's goodbye/);
    expectFailure(await b.open(frames[1]!), 'FRAME_TRUNCATED'); // dead
  });
  it('truncator: cutting the transport before the goodbye is FRAME_TRUNCATED; after it, a clean goodbye', async () => {
    const { a, b } = await confirmedPair(backend);
    expect(outcome(await b.open(await a.seal(enc('last words'))))).toBe('data');
    expectFailure(b.transportClosed(), 'FRAME_TRUNCATED', /after frame 1/);
    const q = await confirmedPair(backend);
    expect(outcome(await q.b.open(await q.a.goodbye()))).toBe('goodbye');
    expect(q.b.transportClosed()).toEqual({ ok: true, kind: 'goodbye' });
  });
  it('truncator: cutting before any frame is FRAME_TRUNCATED too', async () => {
    const p = await pair(backend);
    expectFailure(p.b.transportClosed(), 'FRAME_TRUNCATED', /before any frame/);
  });
  it('truncator: a frame cut short is rejected (FRAME_TAMPERED, or FRAME_MALFORMED below the minimum)', async () => {
    const { a, b } = await confirmedPair(backend);
    const f = await a.seal(enc('a message of some length'));
    expectFailure(await b.open(f.subarray(0, f.length - 1)), 'FRAME_TAMPERED', /cut short/);
    const q = await confirmedPair(backend);
    const g = await q.a.seal(enc('x'));
    expectFailure(await q.b.open(g.subarray(0, 21)), 'FRAME_MALFORMED', /21 bytes, shorter than header and tag \(22\)/);
  });
  it.each([
    ['version byte', 0, 'FRAME_MALFORMED'],
    ['type byte: data→goodbye', 1, 'FRAME_TAMPERED'],
    ['counter (high byte)', 2, 'FRAME_TAMPERED'],
    ['counter (low byte)', 5, 'FRAME_TAMPERED'],
    ['ciphertext', FRAME_HEADER_LENGTH, 'FRAME_TAMPERED'],
    ['tag', -1, 'FRAME_TAMPERED'],
  ] as const)('tamperer: modifying the %s is %s', async (_what, at, code) => {
    const { a, b } = await confirmedPair(backend);
    const f = (await a.seal(enc('pay me 10 €'))).slice();
    const i = at < 0 ? f.length + at : at;
    f[i]! ^= at === 1 ? 0x01 : 0x80; // type 0x02 ^ 0x01 = 0x03, a valid goodbye type
    expectFailure(await b.open(f), code);
  });
  it('tamperer: after a failed frame, the genuine one is refused too (the channel is dead)', async () => {
    const { a, b } = await confirmedPair(backend);
    const f = await a.seal(enc('x'));
    const bad = f.slice();
    bad[bad.length - 1]! ^= 1;
    expectFailure(await b.open(bad), 'FRAME_TAMPERED');
    expectFailure(await b.open(f), 'FRAME_TAMPERED');
    expect(() => b.seal(enc('y'))).toThrow(/dead channel/);
  });
  it('reflector: a frame sent back to its sender is FRAME_REFLECTED', async () => {
    const { a } = await confirmedPair(backend);
    const f = await a.seal(enc('to b'));
    expectFailure(await a.open(f), 'FRAME_REFLECTED', /came back/);
  });
  it('reflector: reflecting the key confirmation is FRAME_REFLECTED (no self-confirmation)', async () => {
    const p = await pair(backend);
    expectFailure(await p.a.open(await p.a.confirmation()), 'FRAME_REFLECTED');
  });
  it('splicer: a frame from another session (same counter) is FRAME_TAMPERED', async () => {
    const s1 = await confirmedPair(backend);
    const s2 = await confirmedPair(backend);
    const foreign = await s2.a.seal(enc('other session'));
    expectFailure(await s1.b.open(foreign), 'FRAME_TAMPERED', /from another session/);
  });
  it('splicer: another session’s confirmation does not confirm this one', async () => {
    const s1 = await pair(backend);
    const s2 = await pair(backend);
    expectFailure(await s1.b.open(await s2.a.confirmation()), 'FRAME_TAMPERED');
  });
  it('injector: anything after the goodbye is FRAME_AFTER_GOODBYE', async () => {
    const { a, b } = await confirmedPair(backend);
    const f = await a.seal(enc('x'));
    expect(outcome(await b.open(f))).toBe('data');
    expect(outcome(await b.open(await a.goodbye()))).toBe('goodbye');
    expectFailure(await b.open(f), 'FRAME_AFTER_GOODBYE', /after the peer's goodbye/);
  });
  it('flooder: a message over 262144 bytes is FRAME_TOO_LARGE (before any crypto)', async () => {
    const { b } = await confirmedPair(backend);
    expectFailure(await b.open(new Uint8Array(MAX_FRAME_SIZE + 1)), 'FRAME_TOO_LARGE', /262145 bytes/);
  });
  it('a genuine max-size frame is not "too large"', async () => {
    const { a, b } = await confirmedPair(backend);
    const f = await a.seal(new Uint8Array(MAX_FRAME_SIZE - 22));
    expect(f.length).toBe(MAX_FRAME_SIZE);
    expect(outcome(await b.open(f))).toBe('data');
  });
});

import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import {
  canSend,
  decrypt,
  encrypt,
  expireSkipped,
  initInitiator,
  MESSAGE_OVERHEAD,
  type RatchetState,
} from '../../src/core/ratchet';
import { encryptHeader } from '../../src/core/ratchet-header';
import { mustDecrypt, pair, snapshot } from './ratchet-helpers';

const enc = (s: RatchetState, text: string) => encrypt(s, utf8ToBytes(text));
async function expectRejected(s: RatchetState, msg: Uint8Array, code: string, now = 0) {
  const before = snapshot(s);
  const r = await decrypt(s, msg, now);
  expect(r.ok ? 'ok' : r.code).toBe(code);
  expect(snapshot(s)).toBe(before); // the input state is never changed
}

describe('ratchet conversation', () => {
  it('delivers in order, out of order and across DH ratchet steps', async () => {
    let { a, b } = await pair();
    expect(canSend(b)).toBe(false);
    expect(() => enc(b, 'too early')).toThrow(/responder must receive the initiator's first message/);
    const m: Uint8Array[] = [];
    for (const t of ['a0', 'a1', 'a2']) {
      const e = enc(a, t);
      a = e.state;
      m.push(e.message);
    }
    let r = await mustDecrypt(b, m[2] as Uint8Array);
    b = r.state;
    expect(r.text).toBe('a2');
    expect(b.skipped.length).toBe(2);
    r = await mustDecrypt(b, m[0] as Uint8Array);
    b = r.state;
    expect(r.text).toBe('a0');
    const bm = enc(b, 'b0');
    b = bm.state;
    r = await mustDecrypt(a, bm.message);
    a = r.state;
    expect(r.text).toBe('b0');
    const am = enc(a, 'a3');
    a = am.state;
    r = await mustDecrypt(b, am.message);
    b = r.state;
    expect(r.text).toBe('a3');
    r = await mustDecrypt(b, m[1] as Uint8Array);
    b = r.state;
    expect(r.text).toBe('a1'); // from an older chain
    expect(b.skipped.length).toBe(0);
    expect(b.step).toBe(2);
  });

  it('a message is its plaintext plus a fixed overhead, and headers hide the counters', async () => {
    let { a } = await pair();
    const e1 = enc(a, 'x'.repeat(100));
    a = e1.state;
    const e2 = enc(a, 'x'.repeat(100));
    expect(e1.message.length).toBe(100 + MESSAGE_OVERHEAD);
    // Same sender, consecutive messages: no header byte in common position would reveal n.
    expect(e1.message.subarray(1, 81)).not.toEqual(e2.message.subarray(1, 81));
  });
});

describe('ratchet eavesdropper', () => {
  it('sees neither ratchet public keys, counters nor plaintext on the wire', async () => {
    let { a, b } = await pair('eve');
    const wire: Uint8Array[] = [];
    const keys: Uint8Array[] = [a.dhsPublic, b.dhsPublic];
    for (let i = 0; i < 3; i++) {
      const e = enc(a, 'same text every time');
      a = e.state;
      wire.push(e.message);
    }
    b = (await mustDecrypt(b, wire[0] as Uint8Array)).state;
    const reply = enc(b, 'same text every time');
    b = reply.state;
    wire.push(reply.message);
    keys.push(b.dhsPublic);
    const all = wire.map((m) => Buffer.from(m).toString('hex')).join('');
    for (const k of keys) expect(all.includes(Buffer.from(k.subarray(0, 12)).toString('hex'))).toBe(false);
    expect(all.includes(Buffer.from('same text').toString('hex'))).toBe(false);
    // Headers of consecutive messages share no structure that would reveal n = 0, 1, 2.
    const h = wire.slice(0, 3).map((m) => m.subarray(1, 81));
    for (const [x, y] of [
      [0, 1],
      [1, 2],
    ] as const) {
      const same = (h[x] as Uint8Array).filter((v, i) => v === (h[y] as Uint8Array)[i]).length;
      expect(same).toBeLessThan(10); // 80/256 ≈ 0.3 equal bytes expected by chance
    }
  });
});

describe('ratchet attacks (state is untouched on every rejection)', () => {
  it('replay of a message already read, in the current chain and in an older one', async () => {
    let { a, b } = await pair('replay');
    const m0 = enc(a, 'm0');
    a = m0.state;
    const m1 = enc(a, 'm1');
    a = m1.state;
    b = (await mustDecrypt(b, m1.message)).state;
    b = (await mustDecrypt(b, m0.message)).state;
    await expectRejected(b, m0.message, 'RATCHET_REPLAY');
    await expectRejected(b, m1.message, 'RATCHET_REPLAY');
    // After a DH step both old-chain messages are still refused.
    const bm = enc(b, 'b');
    b = bm.state;
    a = (await mustDecrypt(a, bm.message)).state;
    b = (await mustDecrypt(b, enc(a, 'a').message)).state;
    await expectRejected(b, m0.message, 'RATCHET_BAD_HEADER');
  });

  it('replay of a late message read out of a skipped key', async () => {
    let { a, b } = await pair('replay-skipped');
    const m: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      const e = enc(a, `m${i}`);
      a = e.state;
      m.push(e.message);
    }
    b = (await mustDecrypt(b, m[3] as Uint8Array)).state; // m0..m2 skipped
    const bm = enc(b, 'b');
    b = bm.state;
    a = (await mustDecrypt(a, bm.message)).state;
    b = (await mustDecrypt(b, enc(a, 'new chain').message)).state;
    b = (await mustDecrypt(b, m[1] as Uint8Array)).state; // a skipped key of the old chain, used once
    await expectRejected(b, m[1] as Uint8Array, 'RATCHET_REPLAY');
    b = (await mustDecrypt(b, m[0] as Uint8Array)).state;
    b = (await mustDecrypt(b, m[2] as Uint8Array)).state;
    // No key of that chain is left, so its headers no longer decrypt at all.
    await expectRejected(b, m[2] as Uint8Array, 'RATCHET_BAD_HEADER');
  });

  it('tampered header, tampered body, truncation and unknown version', async () => {
    const { a, b } = await pair('tamper');
    const { message } = enc(a, 'hello');
    for (const at of [0, 1, 30, 80, 81, message.length - 1]) {
      const t = message.slice();
      t[at] = (t[at] as number) ^ 0x01;
      await expectRejected(
        b,
        t,
        at === 0 ? 'RATCHET_MALFORMED' : at <= 80 ? 'RATCHET_BAD_HEADER' : 'RATCHET_BAD_CIPHERTEXT',
      );
    }
    await expectRejected(b, message.subarray(0, MESSAGE_OVERHEAD - 1), 'RATCHET_MALFORMED');
    expect((await mustDecrypt(b, message)).text).toBe('hello'); // the real message still works afterwards
  });

  it('a message for another pair of identities (other AD) or another session is refused', async () => {
    const one = await pair('ad', {}, utf8ToBytes('alice+bob'));
    const other = await pair('ad', {}, utf8ToBytes('alice+carol')); // same keys, different AD
    await expectRejected(other.b, enc(one.a, 'for bob').message, 'RATCHET_BAD_HEADER');
    const third = await pair('another-session');
    await expectRejected(third.b, enc(one.a, 'for bob').message, 'RATCHET_BAD_HEADER');
  });

  it('a flood that would skip more than MAX_SKIP keys is refused; in-bound ones pass', async () => {
    let { a, b } = await pair('flood', { maxSkip: 5 });
    const msgs: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) {
      const e = enc(a, `m${i}`);
      a = e.state;
      msgs.push(e.message);
    }
    await expectRejected(b, msgs[6] as Uint8Array, 'RATCHET_TOO_MANY_SKIPPED');
    b = (await mustDecrypt(b, msgs[5] as Uint8Array)).state;
    expect(b.skipped.length).toBe(5);
  });

  it("a peer's small-order ratchet key is refused", async () => {
    let { a, b } = await pair('small-order');
    b = (await mustDecrypt(b, enc(a, 'hi').message)).state;
    // A malicious peer holds its own next header key: forge a header announcing DH = 0.
    const forged = new Uint8Array(MESSAGE_OVERHEAD + 4);
    forged[0] = 1;
    forged.set(
      encryptHeader(a.nhks, { dh: new Uint8Array(32), pn: 1, n: 0 }, new Uint8Array([...a.ad, 1]), new Uint8Array(24)),
      1,
    );
    await expectRejected(b, forged, 'RATCHET_BAD_RATCHET_KEY');
    a = enc(a, 'ok').state;
    void a;
  });
});

describe('initialization', () => {
  it('the initiator refuses a low-order responder ratchet key; limits are checked by name', async () => {
    await expect(
      initInitiator({ sessionKey: new Uint8Array(32), remoteRatchetKey: new Uint8Array(32), ad: new Uint8Array(1) }),
    ).rejects.toThrow(/remoteRatchetKey/);
    await expect(pair('limits', { maxSkip: -1 })).rejects.toThrow(/limits.maxSkip/);
  });
});

describe('skipped-key expiry', () => {
  async function withSkippedM0(label: string, limits: object) {
    let { a, b } = await pair(label, limits);
    const m0 = enc(a, 'late');
    a = m0.state;
    const m1 = enc(a, 'm1');
    a = m1.state;
    b = (await mustDecrypt(b, m1.message, 1000)).state;
    return { a, b, m0: m0.message };
  }
  async function pingPong(a: RatchetState, b: RatchetState, rounds: number) {
    for (let i = 0; i < rounds; i++) {
      const x = enc(b, 'b');
      b = x.state;
      a = (await mustDecrypt(a, x.message)).state;
      const y = enc(a, 'a');
      a = y.state;
      b = (await mustDecrypt(b, y.message)).state;
    }
    return { a, b };
  }
  it('by later ratchet steps', async () => {
    const s = await withSkippedM0('exp-steps', { maxSkippedSteps: 2 });
    expect((await mustDecrypt((await pingPong(s.a, s.b, 2)).b, s.m0)).text).toBe('late');
    const gone = (await pingPong(s.a, s.b, 3)).b;
    expect(gone.skipped.length).toBe(0);
    await expectRejected(gone, s.m0, 'RATCHET_BAD_HEADER');
  });
  it('by age against the `now` passed in', async () => {
    const s = await withSkippedM0('exp-age', { maxSkippedAgeMs: 60_000 });
    expect((await mustDecrypt(s.b, s.m0, 61_000)).text).toBe('late');
    await expectRejected(s.b, s.m0, 'RATCHET_REPLAY', 61_001); // current chain: recognised, key gone
    expect(expireSkipped(s.b, 61_001).skipped.length).toBe(0);
    expect(s.b.skipped.length).toBe(1);
  });
  it('by total count, oldest first', async () => {
    let { a, b } = await pair('exp-count', { maxSkippedKeys: 3, maxSkip: 10 });
    const msgs: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      const e = enc(a, `m${i}`);
      a = e.state;
      msgs.push(e.message);
    }
    b = (await mustDecrypt(b, msgs[5] as Uint8Array)).state;
    expect(b.skipped.map((k) => k.n)).toEqual([2, 3, 4]);
    await expectRejected(b, msgs[1] as Uint8Array, 'RATCHET_REPLAY');
    expect((await mustDecrypt(b, msgs[2] as Uint8Array)).text).toBe('m2');
  });
});

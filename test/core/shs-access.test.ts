/**
 * Attack tests about who may talk to whom: impersonation, cold calling, unauthorized clients,
 * replayed credentials, small-order keys and forged signatures, plus timeouts and misuse.
 */
import { describe, expect, it } from 'vitest';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import {
  ShsClient,
  ShsServer,
  type CryptoPath,
  type Ed25519KeyPair,
  type ShsCrypto,
  type ShsStep,
} from '../../src/core/shs';
import { PROVIDERS, hex, pump, randomKeyPair } from './shs-helpers';
import { box, cat, clientAuth, curvePublic, curveSecret, dh, ephemeral, hello, sha256 } from './shs-attacker';

const K = crypto.getRandomValues(new Uint8Array(32));
const alice = randomKeyPair(),
  bob = randomKeyPair(),
  carol = randomKeyPair(),
  mallory = randomKeyPair();
const seedOf = (k: Ed25519KeyPair) => k.secretKey.slice(0, 32);
const fail = (s: ShsStep | null) => (s && !s.ok ? s : null);

function server(
  o: { identity?: Ed25519KeyPair; authorize?: (pk: Uint8Array) => boolean; crypto?: CryptoPath | ShsCrypto } = {},
) {
  return new ShsServer({
    networkKey: K,
    identity: o.identity ?? bob,
    now: 0,
    authorize: o.authorize ?? (() => true),
    crypto: o.crypto,
  });
}

/** Starts an attacker-driven client: sends msg1, returns the server's msg2 and the ephemeral. */
async function attackerHello(srv: ShsServer) {
  const e = ephemeral();
  const s2 = await srv.receive(hello(K, e.publicKey), 0);
  if (!s2.ok || !s2.send) throw new Error('server should answer msg1');
  return { e, msg2: s2.send };
}

describe('P2: the server verifies the client identity', () => {
  it("P2: a client claiming Alice's key with a signature by another key is rejected before authorize()", async () => {
    let asked = 0;
    const srv = server({
      authorize: () => {
        asked++;
        return true;
      },
    });
    const { e, msg2 } = await attackerHello(srv);
    const msg3 = clientAuth({
      K,
      ephSecret: e.secret,
      msg2,
      serverPublic: bob.publicKey,
      claimedPublic: alice.publicKey,
      seed: seedOf(mallory),
    });
    const r = await srv.receive(msg3, 0);
    expect(fail(r)?.code).toBe('SHS_MSG3_BAD_SIGNATURE');
    expect(asked).toBe(0);
    // Control: signed with Alice's own seed, the same code path is accepted.
    const srv2 = server();
    const h = await attackerHello(srv2);
    const ok = await srv2.receive(
      clientAuth({
        K,
        ephSecret: h.e.secret,
        msg2: h.msg2,
        serverPublic: bob.publicKey,
        claimedPublic: alice.publicKey,
        seed: seedOf(alice),
      }),
      0,
    );
    expect(ok.ok && hex(ok.session!.remotePublicKey)).toBe(hex(alice.publicKey));
  });
});

describe('P3, P5: the client verifies the server, and knows the server verified it', () => {
  it('P3: an impostor server (Carol) answering a client that dialed Bob cannot open msg3; the client gets no session', async () => {
    const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    const r = await pump(client, server({ identity: carol }));
    expect(fail(r.server)?.code).toBe('SHS_MSG3_BAD_AUTH');
    expect(fail(r.client)?.code).toBe('SHS_CLOSED');
    expect(r.transcript.msg4).toBeUndefined();
  });

  it('P3/P5: a msg4 boxed correctly but signed over a different hello (or by another key) is rejected', async () => {
    for (const signer of [bob, carol]) {
      const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
      const c1 = await client.start();
      if (!c1.ok) throw new Error('start');
      // The "server" here knows Bob's secret (so it can box msg4), and signs the wrong thing.
      const b = ephemeral();
      const c3 = await client.receive(hello(K, b.publicKey), 0);
      if (!c3.ok) throw new Error('msg3');
      const a = c1.send!.subarray(32);
      const ab = dh(b.secret, a)!,
        aB = dh(curveSecret(seedOf(bob)), a)!,
        Ab = dh(b.secret, curvePublic(alice.publicKey))!;
      const otherHello = new Uint8Array(96).fill(7);
      const sig = ed25519.sign(cat(K, signer === bob ? otherHello : new Uint8Array(96), sha256(ab)), seedOf(signer));
      const r = await client.receive(box(sha256(cat(K, ab, aB, Ab)), sig), 0);
      expect(fail(r)?.code).toBe('SHS_MSG4_BAD_SIGNATURE');
    }
  });

  it('P4: the server only accepts a msg3 whose signature covers its own key (a client that meant Carol is refused)', async () => {
    const srv = server();
    const { e, msg2 } = await attackerHello(srv);
    const b = msg2.subarray(32);
    const ab = dh(e.secret, b)!,
      aB = dh(e.secret, curvePublic(bob.publicKey))!;
    const sig = ed25519.sign(cat(K, carol.publicKey, sha256(ab)), seedOf(alice));
    const r = await srv.receive(box(sha256(cat(K, ab, aB)), cat(sig, alice.publicKey)), 0);
    expect(fail(r)?.code).toBe('SHS_MSG3_BAD_SIGNATURE');
  });
});

describe('P8: cold calling', () => {
  it('P8: a caller with the wrong network key gets nothing back: the server fails at msg1 and sends no msg2', async () => {
    const client = new ShsClient({
      networkKey: crypto.getRandomValues(new Uint8Array(32)),
      identity: alice,
      serverPublicKey: bob.publicKey,
      now: 0,
    });
    const r = await pump(client, server());
    expect(fail(r.server)?.code).toBe('SHS_MSG1_BAD_HMAC');
    expect(r.transcript.msg2).toBeUndefined();
    expect(fail(r.client)?.code).toBe('SHS_CLOSED');
  });

  it("P8: a caller that does not know the server key gets only msg2, which does not depend on the server's key", async () => {
    const serverEph = x25519.utils.randomSecretKey();
    const msg1 = hello(K, ephemeral().publicKey);
    const answers = await Promise.all(
      [bob, carol].map(async (identity) =>
        new ShsServer({ networkKey: K, identity, now: 0, ephemeralSecret: serverEph, authorize: () => true }).receive(
          msg1,
          0,
        ),
      ),
    );
    expect(answers.every((a) => a.ok && a.send!.length === 64)).toBe(true);
    expect(hex((answers[0] as { send: Uint8Array }).send)).toBe(hex((answers[1] as { send: Uint8Array }).send));
    const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: carol.publicKey, now: 0 });
    const r = await pump(client, server());
    expect(fail(r.server)?.code).toBe('SHS_MSG3_BAD_AUTH');
    expect(r.transcript.msg4).toBeUndefined();
  });
});

/** What a client can observe of a server: the bytes it sent, and how the client's own machine ends. */
async function observe(client: ShsClient, srv: ShsServer) {
  const r = await pump(client, srv);
  const f = fail(r.client)!;
  return {
    observable: {
      sent: [r.transcript.msg2?.length, r.transcript.msg4?.length],
      client: { code: f.code, step: f.step, side: f.side, message: f.message },
    },
    server: fail(r.server)!,
  };
}

describe('P13, P14, P15: replays and unauthorized clients learn nothing about the access list or the server key', () => {
  it('P14/P15: an unauthorized client and a client that dialed the wrong server key see exactly the same server behaviour', async () => {
    const unauthorized = await observe(
      new ShsClient({ networkKey: K, identity: mallory, serverPublicKey: bob.publicKey, now: 0 }),
      server({ authorize: (pk) => hex(pk) === hex(alice.publicKey) }),
    );
    const wrongKey = await observe(
      new ShsClient({ networkKey: K, identity: alice, serverPublicKey: carol.publicKey, now: 0 }),
      server({ authorize: (pk) => hex(pk) === hex(alice.publicKey) }),
    );
    expect(unauthorized.observable).toEqual(wrongKey.observable);
    expect(unauthorized.observable.sent).toEqual([64, undefined]);
    expect(unauthorized.observable.client.code).toBe('SHS_CLOSED');
    // The server's own (local, never sent) failures: same step and side, no bytes, different codes for its logs.
    expect([unauthorized.server.code, wrongKey.server.code]).toEqual(['SHS_UNAUTHORIZED', 'SHS_MSG3_BAD_AUTH']);
    expect([unauthorized.server.step, unauthorized.server.side]).toEqual([wrongKey.server.step, wrongKey.server.side]);
    expect('send' in unauthorized.server || 'send' in wrongKey.server).toBe(false);
  });

  it("P13: replaying an authorized and an unauthorized client's recorded msg1+msg3 gives identical server behaviour; authorize() is never asked", async () => {
    const asked: string[] = [];
    const only = (who: Ed25519KeyPair) => (pk: Uint8Array) => {
      asked.push(hex(pk));
      return hex(pk) === hex(who.publicKey);
    };
    const recorded = async (identity: Ed25519KeyPair) =>
      (await pump(new ShsClient({ networkKey: K, identity, serverPublicKey: bob.publicKey, now: 0 }), server()))
        .transcript;
    const results = [];
    for (const t of [await recorded(alice), await recorded(mallory)]) {
      const srv = server({ authorize: only(alice) });
      const s2 = await srv.receive(t.msg1!, 0);
      const s4 = await srv.receive(t.msg3!, 0);
      results.push({
        msg2: s2.ok && s2.send!.length,
        end: fail(s4) && { code: fail(s4)!.code, step: fail(s4)!.step, sent: 'send' in s4 },
      });
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toEqual({ msg2: 64, end: { code: 'SHS_MSG3_BAD_AUTH', step: 'msg3', sent: false } });
    expect(asked).toEqual([]);
  });
});

describe.each(PROVIDERS)('small-order keys and forged signatures (%s path)', (_name, path) => {
  const smallOrder = new Uint8Array(32);
  smallOrder[0] = 1; // the identity point

  it('control: noble with default ZIP-215 rules accepts an all-zero signature for a small-order key', () => {
    expect(ed25519.verify(new Uint8Array(64), new Uint8Array([1, 2, 3]), smallOrder)).toBe(true);
  });

  it('a small-order client key with an all-zero signature is rejected at msg3, authorize() never asked', async () => {
    let asked = 0;
    const srv = server({
      crypto: path,
      authorize: () => {
        asked++;
        return true;
      },
    });
    const { e, msg2 } = await attackerHello(srv);
    const msg3 = clientAuth({
      K,
      ephSecret: e.secret,
      msg2,
      serverPublic: bob.publicKey,
      claimedPublic: smallOrder,
      signature: new Uint8Array(64),
    });
    expect(fail(await srv.receive(msg3, 0))?.code).toBe('SHS_MSG3_BAD_SIGNATURE');
    expect(asked).toBe(0);
  });

  it('a non-canonical signature (S + L) of a valid client is rejected (strict RFC 8032)', async () => {
    const srv = server({ crypto: path });
    const { e, msg2 } = await attackerHello(srv);
    const ab = dh(e.secret, msg2.subarray(32))!;
    const sig = ed25519.sign(cat(K, bob.publicKey, sha256(ab)), seedOf(alice));
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
    s += ed25519.Point.Fn.ORDER;
    const bad = sig.slice();
    for (let i = 32; i < 64; i++) {
      bad[i] = Number(s & 255n);
      s >>= 8n;
    }
    const msg3 = clientAuth({
      K,
      ephSecret: e.secret,
      msg2,
      serverPublic: bob.publicKey,
      claimedPublic: alice.publicKey,
      signature: bad,
    });
    expect(fail(await srv.receive(msg3, 0))?.code).toBe('SHS_MSG3_BAD_SIGNATURE');
  });

  it('small-order ephemeral keys with valid HMACs are rejected in msg1 and msg2; dialing a small-order server key fails at start', async () => {
    const zeroPoint = new Uint8Array(32); // X25519 u = 0: every shared secret is zero
    expect(fail(await server({ crypto: path }).receive(hello(K, zeroPoint), 0))?.code).toBe('SHS_MSG1_BAD_KEY');
    const client = new ShsClient({
      networkKey: K,
      identity: alice,
      serverPublicKey: bob.publicKey,
      now: 0,
      crypto: path,
    });
    await client.start();
    expect(fail(await client.receive(hello(K, Uint8Array.of(1, ...new Uint8Array(31))), 0))?.code).toBe(
      'SHS_MSG2_BAD_KEY',
    );
    const toSmall = new ShsClient({
      networkKey: K,
      identity: alice,
      serverPublicKey: smallOrder,
      now: 0,
      crypto: path,
    });
    expect(fail(await toSmall.start())?.code).toBe('SHS_BAD_SERVER_KEY');
  });
});

describe('timeouts, closes and misuse', () => {
  it('tick() returns SHS_TIMEOUT once the deadline passes, and a late receive() fails the same way', async () => {
    const srv = new ShsServer({ networkKey: K, identity: bob, now: 1000, timeoutMs: 500, authorize: () => true });
    expect(srv.tick(1499)).toBeNull();
    const t = fail(srv.tick(1500));
    expect(t?.code).toBe('SHS_TIMEOUT');
    expect(t?.message).toMatch(/server, msg1/);
    expect(srv.tick(2000)).toBeNull(); // reported once
    const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    await client.start();
    expect(fail(await client.receive(new Uint8Array(64), 5000))?.code).toBe('SHS_TIMEOUT');
  });

  it('a timeout or close while a step is in flight ends in that Failure (no exception), and late results are zeroed', async () => {
    const client = new ShsClient({
      networkKey: K,
      identity: alice,
      serverPublicKey: bob.publicKey,
      now: 0,
      timeoutMs: 100,
    });
    const srv = new ShsServer({ networkKey: K, identity: bob, now: 0, authorize: () => true });
    const m1 = await client.start();
    if (!m1.ok) throw new Error('start');
    const m2 = await srv.receive(m1.send!, 0);
    if (!m2.ok) throw new Error('msg2');
    // The deadline passes exactly while msg2's key agreements are in flight.
    // (lt.agree is the last call started synchronously for msg2; the timer fires right after.)
    const lt = (client as unknown as { lt: { agree: (p: unknown) => Promise<Uint8Array | null> } }).lt;
    const agree = lt.agree.bind(lt);
    let timedOut: ShsStep | null = null;
    lt.agree = (p) => {
      const r = agree(p);
      timedOut ??= client.tick(100);
      return r;
    };
    const late = await client.receive(m2.send!, 1);
    expect(fail(timedOut)?.code).toBe('SHS_TIMEOUT');
    expect(fail(late)?.code).toBe('SHS_TIMEOUT');
    let release: ((v: boolean) => void) | undefined;
    // Server: closed while authorize() is pending; its later "yes" must not produce msg4.
    const c2 = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    const srv2 = new ShsServer({
      networkKey: K,
      identity: bob,
      now: 0,
      authorize: () =>
        new Promise<boolean>((r) => {
          release = r;
        }),
    });
    const n1 = await c2.start();
    if (!n1.ok) throw new Error('start');
    const n2 = await srv2.receive(n1.send!, 0);
    if (!n2.ok) throw new Error('msg2');
    const n3 = await c2.receive(n2.send!, 0);
    if (!n3.ok) throw new Error('msg3');
    const step = srv2.receive(n3.send!, 0);
    while (!release) await new Promise((r) => setTimeout(r, 1));
    const held = [...(srv2 as unknown as { secrets: Uint8Array[] }).secrets];
    expect(fail(srv2.closed())?.code).toBe('SHS_CLOSED');
    release!(true);
    const end = await step;
    expect(fail(end)?.code).toBe('SHS_CLOSED');
    expect('send' in end).toBe(false);
    for (const x of [...held, ...(srv2 as unknown as { secrets: Uint8Array[] }).secrets])
      expect(x.every((b) => b === 0)).toBe(true);
  });

  it('authorize() throwing becomes SHS_AUTHORIZE_ERROR, and nothing is sent', async () => {
    const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    const r = await pump(
      client,
      server({
        authorize: () => {
          throw new Error('db down');
        },
      }),
    );
    expect(fail(r.server)?.code).toBe('SHS_AUTHORIZE_ERROR');
    expect(fail(r.server)?.message).toMatch(/db down/);
    expect(r.transcript.msg4).toBeUndefined();
  });

  it('programmer mistakes throw and name the argument', async () => {
    expect(
      () => new ShsServer({ networkKey: new Uint8Array(31), identity: bob, now: 0, authorize: () => true }),
    ).toThrow(/networkKey: expected 32 bytes/);
    expect(() => new ShsClient({ networkKey: K, identity: alice, serverPublicKey: new Uint8Array(3), now: 0 })).toThrow(
      /serverPublicKey/,
    );
    expect(() => new ShsServer({ networkKey: K, identity: bob, now: Number.NaN, authorize: () => true })).toThrow(
      /now/,
    );
    const client = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    expect(() => client.receive(new Uint8Array(1), 0)).toThrow(/start\(\) first/);
    await client.start();
    expect(() => client.start()).toThrow(/twice/);
    const finished = new ShsClient({ networkKey: K, identity: alice, serverPublicKey: bob.publicKey, now: 0 });
    expect((await pump(finished, server())).clientSession).toBeTruthy();
    await expect(finished.receive(new Uint8Array(1), 0)).rejects.toThrow(
      /ShsClient.receive: the handshake has finished/,
    );
    await expect(
      new ShsClient({
        networkKey: K,
        identity: { publicKey: carol.publicKey, secretKey: alice.secretKey },
        serverPublicKey: bob.publicKey,
        now: 0,
      }).start(),
    ).rejects.toThrow(/does not match/);
  });
});

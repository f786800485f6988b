/**
 * Attack tests, passive and man-in-the-middle: each plays the attacker against the real state
 * machines and shows the attack fails (and, where possible, a positive control showing the
 * same attack code succeeds when given what the protocol withholds, so the test can fail).
 */
import { describe, expect, it } from 'vitest';
import { x25519 } from '@noble/curves/ed25519.js';
import vectors from '../vectors/python-ssb-shs-boxstream.json';
import { ShsClient, ShsServer, networkKeyFromFingerprints, type Ed25519KeyPair } from '../../src/core/shs';
import { PROVIDERS, hex, keyPairFromSeed, pump, randomKeyPair, unhex, type Transcript } from './shs-helpers';
import {
  auth,
  box,
  cat,
  contains,
  curvePublic,
  curveSecret,
  dh,
  encodings,
  ephemeral,
  hello,
  sha256,
  unbox,
} from './shs-attacker';

const K = crypto.getRandomValues(new Uint8Array(32));
const alice = randomKeyPair(),
  bob = randomKeyPair();

describe.each(PROVIDERS)('attacks, %s provider', (_name, provider) => {
  function pair(
    o: {
      client?: Ed25519KeyPair;
      server?: Ed25519KeyPair;
      dial?: Uint8Array;
      K?: Uint8Array;
      authorize?: (pk: Uint8Array) => boolean;
      clientEph?: Uint8Array;
      serverEph?: Uint8Array;
    } = {},
  ) {
    const server = o.server ?? bob;
    const client = new ShsClient({
      networkKey: o.K ?? K,
      identity: o.client ?? alice,
      serverPublicKey: o.dial ?? server.publicKey,
      now: 0,
      crypto: provider,
      ephemeralSecret: o.clientEph,
    });
    const srv = new ShsServer({
      networkKey: K,
      identity: server,
      now: 0,
      crypto: provider,
      authorize: o.authorize ?? (() => true),
      ephemeralSecret: o.serverEph,
    });
    return { client, server: srv };
  }
  const wire = (t: Transcript) => cat(...[t.msg1, t.msg2, t.msg3, t.msg4].filter((m): m is Uint8Array => !!m));

  describe('P9, P10: an eavesdropper cannot learn the client or server key', () => {
    it('P9/P10: full transcripts contain neither long-term key in any encoding (raw, hex, base64, base64url, sha256, X25519 forms, 8-byte windows)', async () => {
      const transcripts: Uint8Array[] = [];
      for (let i = 0; i < 8; i++) {
        const { client, server } = pair();
        const r = await pump(client, server);
        expect(r.clientSession && r.serverSession).toBeTruthy();
        transcripts.push(wire(r.transcript));
      }
      const all = cat(...transcripts);
      // The transcript as an eavesdropper might render it, too.
      const renderings = [
        all,
        new TextEncoder().encode(Buffer.from(all).toString('hex')),
        new TextEncoder().encode(Buffer.from(all).toString('base64')),
      ];
      const keys = {
        A: alice.publicKey,
        B: bob.publicKey,
        'X25519(A)': curvePublic(alice.publicKey),
        'X25519(B)': curvePublic(bob.publicKey),
      };
      const found: string[] = [];
      for (const [k, key] of Object.entries(keys))
        for (const e of encodings(key))
          for (const r of renderings) if (contains(r, e.bytes)) found.push(`${k} as ${e.name}`);
      expect(found).toEqual([]);
      // Control: the same scanner finds A once msg3 is decrypted (what the protocol withholds).
      const v = vectors,
        vClient = keyPairFromSeed(unhex(v.client_longterm_seed)),
        vServer = keyPairFromSeed(unhex(v.server_longterm_seed));
      const ab = dh(unhex(v.client_ephemeral_sk), unhex(v.msg2_server_hello).subarray(32))!;
      const aB = dh(unhex(v.client_ephemeral_sk), curvePublic(vServer.publicKey))!;
      const opened = unbox(sha256(cat(unhex(v.app_key), ab, aB)), unhex(v.msg3_client_auth))!;
      expect(encodings(vClient.publicKey).some((e) => contains(opened, e.bytes))).toBe(true);
    });
  });

  /** Everything a passive attacker holding both long-term secrets can compute from a transcript. */
  function attackerCandidates(
    Kn: Uint8Array,
    t: Transcript,
    clientSeed: Uint8Array,
    serverSeed: Uint8Array,
    clientPub: Uint8Array,
    serverPub: Uint8Array,
  ) {
    const a = t.msg1!.subarray(32),
      b = t.msg2!.subarray(32);
    const secrets = [curveSecret(clientSeed), curveSecret(serverSeed), clientSeed, serverSeed];
    const publics = [a, b, curvePublic(clientPub), curvePublic(serverPub)];
    const dhs = secrets.flatMap((s) => publics.map((p) => dh(s, p))).filter((x): x is Uint8Array => !!x);
    const aB = dh(curveSecret(serverSeed), a)!,
      Ab = dh(curveSecret(clientSeed), b)!;
    // Guesses for ab: every computable DH, a ⊕ b, the hash of each, zeros.
    const abGuesses = [...dhs, ...dhs.map((d) => sha256(d)), new Uint8Array(32), a.map((x, i) => x ^ b[i]!)];
    return abGuesses.map((ab) => ({
      ab,
      secret2: sha256(cat(Kn, ab, aB)),
      handshakeSecret: sha256(sha256(cat(Kn, ab, aB, Ab))),
    }));
  }

  describe('P1: forward secrecy (key compromise after the fact)', () => {
    it('P1: long-term secrets of both sides plus the transcript do not give the session keys (control: the ephemeral secret does)', async () => {
      const cSeed = crypto.getRandomValues(new Uint8Array(32)),
        sSeed = crypto.getRandomValues(new Uint8Array(32));
      const c = keyPairFromSeed(cSeed),
        s = keyPairFromSeed(sSeed);
      const clientEph = x25519.utils.randomSecretKey();
      const { client, server } = pair({ client: c, server: s, clientEph });
      const r = await pump(client, server);
      const session = r.clientSession!;
      const cands = attackerCandidates(K, r.transcript, cSeed, sSeed, c.publicKey, s.publicKey);
      expect(cands.length).toBeGreaterThan(10);
      for (const cand of cands) {
        expect(unbox(cand.secret2, r.transcript.msg3!)).toBeNull();
        expect(hex(cand.handshakeSecret)).not.toBe(hex(session.handshakeSecret));
        expect(hex(sha256(cat(cand.handshakeSecret, s.publicKey)))).not.toBe(hex(session.encryptKey));
      }
      // Control: with the client's ephemeral secret the same derivation succeeds.
      const ab = dh(clientEph, r.transcript.msg2!.subarray(32))!;
      const aB = dh(curveSecret(sSeed), r.transcript.msg1!.subarray(32))!,
        Ab = dh(curveSecret(cSeed), r.transcript.msg2!.subarray(32))!;
      expect(unbox(sha256(cat(K, ab, aB)), r.transcript.msg3!)).not.toBeNull();
      expect(hex(sha256(sha256(cat(K, ab, aB, Ab))))).toBe(hex(session.handshakeSecret));
    });

    it('P1: every derived secret is zeroed and the ephemeral key dropped when the handshake ends (success and failure)', async () => {
      const { client, server } = pair();
      const c = client as unknown as { secrets: Uint8Array[]; eph: unknown };
      const s = server as unknown as { secrets: Uint8Array[]; eph: unknown };
      const m1 = await client.start();
      if (!m1.ok) throw new Error('start');
      const m2 = await server.receive(m1.send!, 0);
      if (!m2.ok) throw new Error('msg2');
      const m3 = await client.receive(m2.send!, 0);
      if (!m3.ok) throw new Error('msg3');
      const held = [...c.secrets];
      expect(held.length).toBeGreaterThanOrEqual(6);
      expect(held.some((x) => x.some((b) => b !== 0))).toBe(true);
      const m4 = await server.receive(m3.send!, 0);
      if (!m4.ok) throw new Error('msg4');
      const sHeld = [...s.secrets];
      const done = await client.receive(m4.send!, 0);
      expect(done.ok && done.session).toBeTruthy();
      for (const x of [...held, ...sHeld]) expect(x.every((b) => b === 0)).toBe(true);
      expect(c.eph).toBeNull();
      expect(s.eph).toBeNull();
      // Failure path: a tampered msg3 ends the server; its secrets are zeroed too.
      const p = pair();
      const ps = p.server as unknown as { secrets: Uint8Array[]; eph: unknown };
      const n1 = await p.client.start();
      if (!n1.ok) throw new Error('start');
      const n2 = await p.server.receive(n1.send!, 0);
      if (!n2.ok) throw new Error('msg2');
      const n3 = await p.client.receive(n2.send!, 0);
      if (!n3.ok) throw new Error('msg3');
      const sHeld2 = [...ps.secrets];
      expect(sHeld2.some((x) => x.some((b) => b !== 0))).toBe(true);
      const bad = n3.send!.slice();
      bad[5]! ^= 1;
      expect((await p.server.receive(bad, 0)).ok).toBe(false);
      for (const x of sHeld2) expect(x.every((b) => b === 0)).toBe(true);
      expect(ps.eph).toBeNull();
    });
  });

  describe('P6: replay', () => {
    it("P6: a recorded client's msg1 and msg3 replayed to a fresh server: msg2 is new, msg3 fails, no msg4, authorize never asked", async () => {
      const r = await pump(...(Object.values(pair()) as [ShsClient, ShsServer]));
      let asked = 0;
      const fresh = new ShsServer({
        networkKey: K,
        identity: bob,
        now: 0,
        crypto: provider,
        authorize: () => {
          asked++;
          return true;
        },
      });
      const s2 = await fresh.receive(r.transcript.msg1!, 0);
      expect(s2.ok && s2.send!.length).toBe(64);
      expect(s2.ok && hex(s2.send!)).not.toBe(hex(r.transcript.msg2!));
      const s4 = await fresh.receive(r.transcript.msg3!, 0);
      expect(s4.ok).toBe(false);
      expect(!s4.ok && s4.code).toBe('SHS_MSG3_BAD_AUTH');
      expect('send' in s4).toBe(false);
      expect(asked).toBe(0);
    });

    it("P6: a recorded server's msg2 and msg4 replayed to a fresh client: msg4 is rejected, no session", async () => {
      const r = await pump(...(Object.values(pair()) as [ShsClient, ShsServer]));
      const fresh = new ShsClient({
        networkKey: K,
        identity: alice,
        serverPublicKey: bob.publicKey,
        now: 0,
        crypto: provider,
      });
      await fresh.start();
      const c3 = await fresh.receive(r.transcript.msg2!, 0);
      expect(c3.ok && c3.send!.length).toBe(112);
      const c5 = await fresh.receive(r.transcript.msg4!, 0);
      expect(!c5.ok && c5.code).toBe('SHS_MSG4_BAD_ACCEPT');
    });
  });

  describe('P7, P16: man in the middle', () => {
    it('P7/P16: a MITM that knows the network key and both public keys, with its own ephemerals, cannot open msg3, cannot complete either side, and learns neither key', async () => {
      const { client, server } = pair();
      const m = ephemeral(),
        n = ephemeral();
      const seen: Uint8Array[] = [];
      // Leg 1: Mallory plays server to the client.
      const c1 = await client.start();
      if (!c1.ok) throw new Error('start');
      seen.push(c1.send!);
      const c3 = await client.receive(hello(K, m.publicKey), 0);
      if (!c3.ok) throw new Error('client should answer a well-formed msg2');
      seen.push(c3.send!);
      // Mallory's best tries at msg3's key: ab with the client, with every guess for aB.
      const a = c1.send!.subarray(32);
      const ab = dh(m.secret, a)!;
      const guesses = [
        dh(m.secret, curvePublic(bob.publicKey))!,
        dh(n.secret, a)!,
        dh(m.secret, curvePublic(alice.publicKey))!,
        new Uint8Array(32),
        ab,
      ];
      for (const aB of guesses) expect(unbox(sha256(cat(K, ab, aB)), c3.send!)).toBeNull();
      // Leg 2: Mallory plays client to the server with its own ephemeral and forwards the client's msg3.
      const s2 = await server.receive(hello(K, n.publicKey), 0);
      if (!s2.ok) throw new Error('msg2');
      seen.push(s2.send!);
      const s4 = await server.receive(c3.send!, 0);
      expect(!s4.ok && s4.code).toBe('SHS_MSG3_BAD_AUTH');
      // Mallory's forged accept to the client.
      const forged = box(
        sha256(cat(K, ab, guesses[0]!, dh(m.secret, curvePublic(alice.publicKey))!)),
        new Uint8Array(64),
      );
      const c5 = await client.receive(forged, 0);
      expect(!c5.ok && c5.code).toBe('SHS_MSG4_BAD_ACCEPT');
      const everything = cat(...seen);
      for (const key of [alice.publicKey, bob.publicKey, curvePublic(alice.publicKey), curvePublic(bob.publicKey)])
        for (const e of encodings(key)) expect(contains(everything, e.bytes)).toBe(false);
    });

    it('P7: a relay that terminates DTLS on each side gets different network keys per leg, so forwarding msg1 fails at the HMAC', async () => {
      const fp = () => crypto.getRandomValues(new Uint8Array(32));
      const fpAlice = fp(),
        fpBob = fp(),
        fpMallory1 = fp(),
        fpMallory2 = fp();
      const kClient = networkKeyFromFingerprints(fpAlice, fpMallory1),
        kServer = networkKeyFromFingerprints(fpMallory2, fpBob);
      const client = new ShsClient({
        networkKey: kClient,
        identity: alice,
        serverPublicKey: bob.publicKey,
        now: 0,
        crypto: provider,
      });
      const server = new ShsServer({
        networkKey: kServer,
        identity: bob,
        now: 0,
        crypto: provider,
        authorize: () => true,
      });
      const r = await pump(client, server);
      expect(!r.server.ok && r.server.code).toBe('SHS_MSG1_BAD_HMAC');
      expect(r.transcript.msg2).toBeUndefined();
      // Control: the same two fingerprints on both ends (no relay in the middle) agree.
      const k = networkKeyFromFingerprints(fpBob, fpAlice);
      const ok = await pump(
        new ShsClient({
          networkKey: networkKeyFromFingerprints(fpAlice, fpBob),
          identity: alice,
          serverPublicKey: bob.publicKey,
          now: 0,
          crypto: provider,
        }),
        new ShsServer({ networkKey: k, identity: bob, now: 0, crypto: provider, authorize: () => true }),
      );
      expect(ok.clientSession).toBeTruthy();
    });
  });

  describe('P11, P12: an eavesdropper cannot confirm a guessed client or server key', () => {
    it('P11/P12: msg1 and msg2 do not depend on the long-term keys at all (same ephemerals, different identities → same bytes)', async () => {
      const clientEph = x25519.utils.randomSecretKey(),
        serverEph = x25519.utils.randomSecretKey();
      const r1 = await pump(...(Object.values(pair({ clientEph, serverEph })) as [ShsClient, ShsServer]));
      const carol = randomKeyPair(),
        dave = randomKeyPair();
      const r2 = await pump(
        ...(Object.values(pair({ client: carol, server: dave, clientEph, serverEph })) as [ShsClient, ShsServer]),
      );
      expect(r1.clientSession && r2.clientSession).toBeTruthy();
      expect(hex(r1.transcript.msg1!)).toBe(hex(r2.transcript.msg1!));
      expect(hex(r1.transcript.msg2!)).toBe(hex(r2.transcript.msg2!));
      expect(hex(r1.transcript.msg3!)).not.toBe(hex(r2.transcript.msg3!));
    });

    it('P11/P12: with the right guesses for both keys, the eavesdropper still cannot open msg3 or msg4 (control: the ephemeral secret opens both)', async () => {
      const clientEph = x25519.utils.randomSecretKey();
      const r = await pump(...(Object.values(pair({ clientEph })) as [ShsClient, ShsServer]));
      const a = r.transcript.msg1!.subarray(32),
        b = r.transcript.msg2!.subarray(32);
      const A = curvePublic(alice.publicKey),
        B = curvePublic(bob.publicKey);
      // Without any secret, the public values are all the eavesdropper can feed the key schedule.
      const publicGuesses = [a, b, A, B, new Uint8Array(32)];
      for (const ab of publicGuesses)
        for (const aB of publicGuesses) {
          expect(unbox(sha256(cat(K, ab, aB)), r.transcript.msg3!)).toBeNull();
          for (const Ab of publicGuesses) expect(unbox(sha256(cat(K, ab, aB, Ab)), r.transcript.msg4!)).toBeNull();
        }
      const ab = dh(clientEph, b)!,
        aB = dh(clientEph, B)!;
      expect(unbox(sha256(cat(K, ab, aB)), r.transcript.msg3!)).not.toBeNull();
      expect(hex(auth(K, a))).toBe(hex(r.transcript.msg1!.subarray(0, 32)));
    });
  });
});

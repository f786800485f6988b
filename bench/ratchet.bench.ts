/**
 * Ratchet throughput: encrypt + decrypt of 1 KiB messages between two in-memory parties, in
 * blocks of BLOCK messages per direction (so every BLOCK messages the direction flips and both
 * sides take a DH ratchet step), i.e. messages/s counting one encrypt and one decrypt as one
 * message. Parley's ratchet (src/core/ratchet.ts, pure JS via @noble) against the baseline,
 * libsignal's native SessionCipher (`signalEncrypt`/`signalDecrypt` of
 * @signalapp/libsignal-client, between two in-memory stores, session set up by a PQXDH
 * pre-key bundle), measured in the same process. Rounds alternate between the two so that
 * load from other processes hits both alike; the best round of each is reported.
 * libsignal 0.103's sessions also run its post-quantum SPQR ratchet alongside the Double
 * Ratchet (the benchmark prints how many SPQR bytes the messages carried); Parley's ratchet is
 * the classic Double Ratchet with header encryption.
 * Run: `npx tsx bench/ratchet.bench.ts` (or `npm run bench ratchet`).
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from '@noble/hashes/utils.js';
import { Kx, generateKemKeyPair, ratchetFromKx, type KxIdentity, type KxStep } from '../src/core/kx';
import { decrypt, encrypt, type RatchetState } from '../src/core/ratchet';
import { ed25519 } from '@noble/curves/ed25519.js';

const MSG_BYTES = 1024;
const BLOCK = 10; // messages per direction before it flips
const N = Number(process.env.RATCHET_BENCH_N ?? 3000);
const ROUNDS = 5;
const payload = randomBytes(MSG_BYTES);

// ---- Parley -------------------------------------------------------------------------------

function identity(): KxIdentity {
  const seed = ed25519.utils.randomSecretKey();
  const pk = ed25519.getPublicKey(seed);
  const sk = new Uint8Array(64);
  sk.set(seed);
  sk.set(pk, 32);
  return { ed25519: { publicKey: pk, secretKey: sk }, kem: generateKemKeyPair() };
}
function only(step: KxStep): Uint8Array {
  if (!step.ok) throw new Error(step.message);
  return step.send[0] as Uint8Array;
}
async function parleySession(): Promise<{ a: RatchetState; b: RatchetState }> {
  const A = identity(),
    B = identity();
  const a = new Kx({
    role: 'initiator',
    identity: A,
    peer: { ed25519PublicKey: B.ed25519.publicKey, kemPublicKey: B.kem.publicKey },
  });
  const b = new Kx({
    role: 'responder',
    identity: B,
    peer: { ed25519PublicKey: A.ed25519.publicKey, kemPublicKey: A.kem.publicKey },
  });
  const ca = only(a.start()),
    cb = only(b.start());
  const ra = only(a.receive(cb)),
    rb = only(b.receive(ca));
  const fa = only(a.receive(rb)),
    fb = only(b.receive(ra));
  const da = a.receive(fb),
    db = b.receive(fa);
  if (!da.ok || !db.ok || !da.result || !db.result) throw new Error('kx failed');
  let sa = await ratchetFromKx(da.result);
  let sb = await ratchetFromKx(db.result);
  // First message so the responder has a sending chain.
  const first = encrypt(sa, payload);
  sa = first.state;
  const r = await decrypt(sb, first.message, 0);
  if (!r.ok) throw new Error(r.message);
  sb = r.newState;
  return { a: sa, b: sb };
}

async function runParley(n: number): Promise<number> {
  const s = await parleySession();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const [from, to] = Math.floor(i / BLOCK) % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const e = encrypt(s[from], payload);
    s[from] = e.state;
    const r = await decrypt(s[to], e.message, i);
    if (!r.ok || r.plaintext.length !== MSG_BYTES) throw new Error(`parley: message ${i} failed`);
    s[to] = r.newState;
  }
  return n / ((performance.now() - t0) / 1000);
}

// ---- libsignal ----------------------------------------------------------------------------

type Lib = typeof import('@signalapp/libsignal-client');
/** Bytes of libsignal's post-quantum (SPQR) ratchet data seen in the last libsignal round. */
let pqBytes = 0;
type Addr = import('@signalapp/libsignal-client').ProtocolAddress;
type Rec = import('@signalapp/libsignal-client').SessionRecord;
type Pub = import('@signalapp/libsignal-client').PublicKey;
type PreRec = import('@signalapp/libsignal-client').PreKeyRecord;
type SpkRec = import('@signalapp/libsignal-client').SignedPreKeyRecord;
type KyRec = import('@signalapp/libsignal-client').KyberPreKeyRecord;

async function libsignalRunner(): Promise<((n: number) => Promise<number>) | string> {
  let S: Lib;
  try {
    S = await import('@signalapp/libsignal-client');
  } catch (e) {
    return `libsignal-client not loadable: ${(e as Error).message}`;
  }
  class Stores {
    sessions = new Map<string, Rec>();
    identities = new Map<string, Pub>();
    preKeys = new Map<number, PreRec>();
    signed = new Map<number, SpkRec>();
    kyber = new Map<number, KyRec>();
    readonly idPair = S.IdentityKeyPair.generate();
    readonly regId = 1 + Math.floor(Math.random() * 16000);
    session = new (class extends S.SessionStore {
      constructor(private o: Stores) {
        super();
      }
      async saveSession(a: Addr, r: Rec) {
        this.o.sessions.set(a.toString(), r);
      }
      async getSession(a: Addr) {
        return this.o.sessions.get(a.toString()) ?? null;
      }
      async getExistingSessions(as: Addr[]) {
        return as.map((a) => this.o.sessions.get(a.toString())).filter((x) => x !== undefined);
      }
    })(this);
    identity = new (class extends S.IdentityKeyStore {
      constructor(private o: Stores) {
        super();
      }
      async getIdentityKey() {
        return this.o.idPair.privateKey;
      }
      async getLocalRegistrationId() {
        return this.o.regId;
      }
      async saveIdentity(a: Addr, k: Pub) {
        this.o.identities.set(a.toString(), k);
        return S.IdentityChange.NewOrUnchanged;
      }
      async isTrustedIdentity() {
        return true;
      }
      async getIdentity(a: Addr) {
        return this.o.identities.get(a.toString()) ?? null;
      }
    })(this);
    preKey = new (class extends S.PreKeyStore {
      constructor(private o: Stores) {
        super();
      }
      async savePreKey(id: number, r: PreRec) {
        this.o.preKeys.set(id, r);
      }
      async getPreKey(id: number) {
        return this.o.preKeys.get(id) as PreRec;
      }
      async removePreKey(id: number) {
        this.o.preKeys.delete(id);
      }
    })(this);
    signedPreKey = new (class extends S.SignedPreKeyStore {
      constructor(private o: Stores) {
        super();
      }
      async saveSignedPreKey(id: number, r: SpkRec) {
        this.o.signed.set(id, r);
      }
      async getSignedPreKey(id: number) {
        return this.o.signed.get(id) as SpkRec;
      }
    })(this);
    kyberPreKey = new (class extends S.KyberPreKeyStore {
      constructor(private o: Stores) {
        super();
      }
      async saveKyberPreKey(id: number, r: KyRec) {
        this.o.kyber.set(id, r);
      }
      async getKyberPreKey(id: number) {
        return this.o.kyber.get(id) as KyRec;
      }
      async markKyberPreKeyUsed() {
        /* one-time use not tracked in the benchmark */
      }
    })(this);
  }

  const session = async () => {
    const alice = new Stores(),
      bob = new Stores();
    const aAddr = S.ProtocolAddress.new('alice', 1),
      bAddr = S.ProtocolAddress.new('bob', 1);
    const pre = S.PrivateKey.generate(),
      spk = S.PrivateKey.generate(),
      kem = S.KEMKeyPair.generate();
    await bob.preKey.savePreKey(1, S.PreKeyRecord.new(1, pre.getPublicKey(), pre));
    const spkSig = bob.idPair.privateKey.sign(spk.getPublicKey().serialize());
    await bob.signedPreKey.saveSignedPreKey(
      2,
      S.SignedPreKeyRecord.new(2, Date.now(), spk.getPublicKey(), spk, spkSig),
    );
    const kemSig = bob.idPair.privateKey.sign(kem.getPublicKey().serialize());
    await bob.kyberPreKey.saveKyberPreKey(3, S.KyberPreKeyRecord.new(3, Date.now(), kem, kemSig));
    const bundle = S.PreKeyBundle.new(
      bob.regId,
      1,
      1,
      pre.getPublicKey(),
      2,
      spk.getPublicKey(),
      spkSig,
      bob.idPair.publicKey,
      3,
      kem.getPublicKey(),
      kemSig,
    );
    await S.processPreKeyBundle(bundle, bAddr, aAddr, alice.session, alice.identity);
    const first = await S.signalEncrypt(
      payload as Uint8Array<ArrayBuffer>,
      bAddr,
      aAddr,
      alice.session,
      alice.identity,
    );
    if (first.type() !== S.CiphertextMessageType.PreKey) throw new Error('libsignal: expected a pre-key message first');
    await S.signalDecryptPreKey(
      S.PreKeySignalMessage.deserialize(first.serialize()),
      aAddr,
      bAddr,
      bob.session,
      bob.identity,
      bob.preKey,
      bob.signedPreKey,
      bob.kyberPreKey,
    );
    // Bob answers once so that Alice's next messages are plain SignalMessages.
    const reply = await S.signalEncrypt(payload as Uint8Array<ArrayBuffer>, aAddr, bAddr, bob.session, bob.identity);
    await S.signalDecrypt(S.SignalMessage.deserialize(reply.serialize()), bAddr, aAddr, alice.session, alice.identity);
    return { alice, bob, aAddr, bAddr };
  };

  return async (n: number) => {
    const s = await session();
    pqBytes = 0;
    const side = { a: { st: s.alice, me: s.aAddr, peer: s.bAddr }, b: { st: s.bob, me: s.bAddr, peer: s.aAddr } };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const [from, to] = Math.floor(i / BLOCK) % 2 === 0 ? [side.a, side.b] : [side.b, side.a];
      const c = await S.signalEncrypt(
        payload as Uint8Array<ArrayBuffer>,
        from.peer,
        from.me,
        from.st.session,
        from.st.identity,
      );
      if (c.type() !== S.CiphertextMessageType.Whisper)
        throw new Error(`libsignal: unexpected message type ${c.type()}`);
      const sm = S.SignalMessage.deserialize(c.serialize());
      pqBytes += sm.pqRatchet().length;
      const p = await S.signalDecrypt(sm, to.peer, to.me, to.st.session, to.st.identity);
      if (p.length !== MSG_BYTES) throw new Error(`libsignal: message ${i} failed`);
    }
    return n / ((performance.now() - t0) / 1000);
  };
}

// ---- run ----------------------------------------------------------------------------------

const lib = await libsignalRunner();
await runParley(300); // warm-up (JIT)
if (typeof lib !== 'string') await lib(300);
const parley: number[] = [],
  base: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  parley.push(await runParley(N));
  if (typeof lib !== 'string') base.push(await lib(N));
  console.log(
    `round ${r + 1}: parley ${parley[r]?.toFixed(0)} msgs/s` +
      (typeof lib === 'string' ? '' : `, libsignal ${base[r]?.toFixed(0)} msgs/s`),
  );
}
const value = Math.max(...parley);
if (typeof lib === 'string') {
  console.log(`baseline unavailable: ${lib}`);
  console.log(
    JSON.stringify({
      bench: 'ratchet',
      value: Math.round(value),
      unit: 'msgs/s',
      baseline: null,
      ratio: null,
      target: 0.5,
    }),
  );
} else {
  const baseline = Math.max(...base);
  console.log(
    `${N} messages of ${MSG_BYTES} B per round, direction flips every ${BLOCK} (DH step each flip), best of ${ROUNDS}`,
  );
  console.log(
    `libsignal messages carried ${(pqBytes / N).toFixed(1)} bytes of SPQR (post-quantum ratchet) data on average; Parley's ratchet has no PQ ratchet (its PQ protection comes from the kx)`,
  );
  console.log(
    JSON.stringify({
      bench: 'ratchet',
      value: Math.round(value),
      unit: 'msgs/s',
      baseline: Math.round(baseline),
      ratio: Number((value / baseline).toFixed(3)),
      target: 0.5,
    }),
  );
}

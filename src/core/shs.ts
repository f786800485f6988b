/**
 * Secret-handshake v1 (SHS), byte-exact with the npm `secret-handshake` reference, as written
 * up in the Scuttlebutt Protocol Guide, chapter "Handshake". I/O-free state machines: feed
 * received bytes in (any chunking), send what they return, stop at the first `Failure`.
 *
 * Wire (K = network key, a/b = client/server ephemeral, A/B = client/server long-term):
 *   msg1 C→S 64:  hmac_K(a) ‖ a                    msg2 S→C 64: hmac_K(b) ‖ b
 *   msg3 C→S 112: box[sha256(K‖ab‖aB)](sign_A(K‖B‖sha256(ab)) ‖ A)
 *   msg4 S→C 80:  box[sha256(K‖ab‖aB‖Ab)](sign_B(K‖msg3 plaintext‖sha256(ab)))
 * docs/protocol.md has the byte-by-byte layout; docs/security.md what it does and does not hide.
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { assertBytes } from './errors';
import { compareBytes } from './identity';
import {
  boxOpen,
  boxSeal,
  edPublicToCurve,
  peerKey,
  sha256,
  sha256Of,
  type EphemeralKey,
  type LongTermKey,
  type PeerKey,
  type ShsCrypto,
} from './shs-crypto';
import {
  Handshake,
  SHS_MSG1_BYTES,
  SHS_MSG2_BYTES,
  SHS_MSG3_BYTES,
  SHS_MSG4_BYTES,
  type CommonOptions,
  type Handled,
  type ShsStep,
} from './shs-machine';

export type { Ed25519KeyPair } from './identity';
export type { ShsSession, ShsStep, ShsErrorCode } from './shs-machine';
export { SHS_MSG1_BYTES, SHS_MSG2_BYTES, SHS_MSG3_BYTES, SHS_MSG4_BYTES } from './shs-machine';
export type { CryptoPath, ShsCrypto, EphemeralKey, LongTermKey, PeerKey } from './shs-crypto';

/** The SHS client (Protocol Guide, "Handshake"): the side that knows the server's key and dials it. */
export class ShsClient extends Handshake {
  private readonly serverPublicKey: Uint8Array;
  private state: 'new' | 'starting' | 'msg2' | 'msg4' | 'done' = 'new';
  private localMac: Uint8Array = new Uint8Array(0);
  private remoteMac: Uint8Array = new Uint8Array(0);
  private serverCurve: PeerKey | null = null;
  private hello: Uint8Array = new Uint8Array(0);
  private shash: Uint8Array = new Uint8Array(0);
  private secret3: Uint8Array = new Uint8Array(0);

  constructor(opts: CommonOptions & { serverPublicKey: Uint8Array }) {
    super('client', opts);
    assertBytes('ShsClient opts.serverPublicKey', opts.serverPublicKey, 32);
    this.serverPublicKey = opts.serverPublicKey.slice();
  }

  /** Begins the handshake: returns msg1 (or a Failure if the server key we were given is unusable). */
  start(): Promise<ShsStep> {
    if (this.state !== 'new') throw new Error('ShsClient.start: called twice');
    this.state = 'starting';
    return this.enqueue(async () => {
      if (this.dead) return this.dead;
      const curve = edPublicToCurve(this.serverPublicKey);
      if (!curve)
        return this.fail(
          'SHS_BAD_SERVER_KEY',
          'the server public key to dial is not a valid Ed25519 key (not a point, or small order): check where it came from (invite, contact record)',
        );
      this.serverCurve = peerKey(curve, true);
      const { eph, lt } = this.keys(await this.cryptoPath());
      await Promise.all([eph, lt]);
      if (this.dead) return this.dead;
      const a = this.eph!.publicKey;
      const msg1 = concatBytes(this.auth(a), a);
      this.localMac = msg1.slice(0, 32);
      this.state = 'msg2';
      return { ok: true, send: msg1 };
    });
  }

  override receive(bytes: Uint8Array, now: number): Promise<ShsStep> {
    if (this.state === 'new') throw new Error('ShsClient.receive: call start() first');
    return super.receive(bytes, now);
  }

  protected expected(): number {
    return this.state === 'msg2' ? SHS_MSG2_BYTES : this.state === 'msg4' ? SHS_MSG4_BYTES : 0;
  }
  protected step(): string {
    return this.state === 'msg4' ? 'msg4' : this.state === 'msg2' ? 'msg2' : 'msg1';
  }
  protected closeCause(): string {
    return this.state === 'msg4'
      ? 'the server hung up after our msg3: it does not accept this identity, or it is not the server key we dialed (SHS makes the two indistinguishable on purpose)'
      : 'the peer hung up before answering: it does not speak SHS or uses another network key';
  }

  protected async handle(message: Uint8Array): Promise<Handled> {
    return this.state === 'msg2' ? this.onMsg2(message) : this.onMsg4(message);
  }

  private async onMsg2(msg2: Uint8Array): Promise<Handled> {
    const K = this.networkKey,
      b = msg2.slice(32),
      bKey = peerKey(b);
    if (!equalBytes(this.auth(b), msg2.subarray(0, 32)))
      return this.reject(
        'SHS_MSG2_BAD_HMAC',
        "the server's hello is not authenticated with our network key: it uses another network key (in Parley: another DTLS session, e.g. a relay in the middle), or does not speak SHS",
      );
    this.remoteMac = msg2.slice(0, 32);
    // Sign as soon as ab is known, while aB and Ab are still being computed.
    const lt = this.lt!,
      abP = this.eph!.agree(bKey);
    const signedP = abP.then(async (ab) => {
      if (!ab) return null;
      const shash = sha256(ab),
        signed = concatBytes(K, this.serverPublicKey, shash);
      try {
        return { shash, signature: await lt.sign(signed) };
      } finally {
        signed.fill(0);
      }
    });
    const [ab, aB, Ab, signed] = await Promise.all([abP, this.eph!.agree(this.serverCurve!), lt.agree(bKey), signedP]);
    for (const s of [ab, aB, Ab, signed?.shash]) if (s) this.keep(s);
    if (this.dead) return this.dead; // timed out or closed while we waited
    if (!ab || !aB || !Ab || !signed)
      return this.reject(
        'SHS_MSG2_BAD_KEY',
        "the server's ephemeral key is degenerate (small order): a broken or malicious server",
      );
    this.shash = signed.shash;
    const secret2 = this.keep(sha256Of(K, ab, aB));
    this.secret3 = this.keep(sha256Of(K, ab, aB, Ab));
    const signature = signed.signature;
    this.hello = this.keep(concatBytes(signature, this.identity.publicKey));
    this.state = 'msg4';
    return { ok: true, send: boxSeal(secret2, this.hello) };
  }

  private async onMsg4(msg4: Uint8Array): Promise<Handled> {
    const signature = boxOpen(this.secret3, msg4);
    if (!signature)
      return this.reject(
        'SHS_MSG4_BAD_ACCEPT',
        "the server's accept does not decrypt: the peer does not hold the server key we dialed (a man in the middle?) or the message was altered",
      );
    this.keep(signature);
    if (
      !(await this.crypto!.verify(
        signature,
        this.keep(concatBytes(this.networkKey, this.hello, this.shash)),
        this.serverPublicKey,
      ))
    )
      return this.reject(
        'SHS_MSG4_BAD_SIGNATURE',
        "the server's accept signature is invalid: the peer is not the server we dialed or is broken",
      );
    this.state = 'done';
    return { ok: true, session: this.session(this.secret3, this.serverPublicKey, this.remoteMac, this.localMac) };
  }
}

/** Options of {@link ShsServer}. */
export interface ShsServerOptions extends CommonOptions {
  /** Decides, after the client has proven its key, whether to talk to it. */
  authorize: (clientPublicKey: Uint8Array) => boolean | Promise<boolean>;
}

/** The SHS server (Protocol Guide, "Handshake"): answers a client that proves it knows our key. */
export class ShsServer extends Handshake {
  private readonly authorize: ShsServerOptions['authorize'];
  private state: 'msg1' | 'msg3' | 'authorizing' | 'done' = 'msg1';
  private localMac: Uint8Array = new Uint8Array(0);
  private remoteMac: Uint8Array = new Uint8Array(0);
  private ab: Uint8Array = new Uint8Array(0);
  private aB: Uint8Array = new Uint8Array(0);
  private shash: Uint8Array = new Uint8Array(0);

  constructor(opts: ShsServerOptions) {
    super('server', opts);
    if (typeof opts.authorize !== 'function') throw new TypeError('ShsServer opts.authorize must be a function');
    this.authorize = opts.authorize;
    // Make the ephemeral key now, while msg1 is still on its way (a round trip off the critical path).
    this.early = this.cryptoPath().then((c) => this.keys(c));
    this.early.then(({ eph, lt }) => Promise.all([eph, lt])).catch(() => undefined); // failures surface in receive()
  }

  private readonly early: Promise<{ eph: Promise<EphemeralKey>; lt: Promise<LongTermKey> }>;

  protected expected(): number {
    return this.state === 'msg1' ? SHS_MSG1_BYTES : this.state === 'msg3' ? SHS_MSG3_BYTES : 0;
  }
  // authorize() is part of the msg3 step: a refusal reports the same step as a msg3 that did not open (P15).
  protected step(): string {
    return this.state === 'msg1' ? 'msg1' : 'msg3';
  }
  protected closeCause(): string {
    return 'the client hung up mid-handshake: it gave up, timed out, or rejected our hello (other network key)';
  }

  protected async handle(message: Uint8Array): Promise<Handled> {
    return this.state === 'msg1' ? this.onMsg1(message) : this.onMsg3(message);
  }

  private decoy(): Promise<void> {
    return decoyWork(this.crypto!, this.eph!, this.lt!).catch(() => undefined);
  }

  private async onMsg1(msg1: Uint8Array): Promise<Handled> {
    const a = msg1.slice(32);
    if (!equalBytes(this.auth(a), msg1.subarray(0, 32)))
      return this.reject(
        'SHS_MSG1_BAD_HMAC',
        "the client's hello is not authenticated with our network key: it uses another network key (in Parley: another DTLS session, e.g. a relay in the middle), or does not speak SHS",
      );
    this.remoteMac = msg1.slice(0, 32);
    const aKey = peerKey(a);
    const { eph, lt } = await this.early;
    // Each X25519 starts as soon as its own key is ready.
    const [ab, aB] = await Promise.all([eph.then((e) => e.agree(aKey)), lt.then((l) => l.agree(aKey))]);
    if (this.dead) {
      ab?.fill(0);
      aB?.fill(0);
      return this.dead;
    }
    for (const s of [ab, aB]) if (s) this.keep(s);
    if (!ab || !aB)
      return this.reject(
        'SHS_MSG1_BAD_KEY',
        "the client's ephemeral key is degenerate (small order): a broken or malicious client",
      );
    this.ab = ab;
    this.aB = aB;
    this.shash = this.keep(sha256(ab));
    const b = this.eph!.publicKey;
    const msg2 = concatBytes(this.auth(b), b);
    this.localMac = msg2.slice(0, 32);
    this.state = 'msg3';
    return { ok: true, send: msg2 };
  }

  private async onMsg3(msg3: Uint8Array): Promise<Handled> {
    const K = this.networkKey,
      B = this.identity.publicKey;
    const secret2 = this.keep(sha256Of(K, this.ab, this.aB));
    const hello = boxOpen(secret2, msg3);
    // Wrong server key, a replayed msg3 and tampering all land here. The caller sends nothing
    // and closes — exactly what it does for an unauthorized client (P13, P15).
    if (!hello) {
      await this.decoy();
      return this.reject(
        'SHS_MSG3_BAD_AUTH',
        "the client's auth does not decrypt: it dialed another server key, replayed an old msg3, or the message was altered",
      );
    }
    this.keep(hello);
    const signature = hello.subarray(0, 64),
      A = hello.slice(64, 96);
    const Acurve = edPublicToCurve(A);
    if (!Acurve)
      return this.reject(
        'SHS_MSG3_BAD_SIGNATURE',
        "the client's key is not a valid Ed25519 key (not a point, or small order): a broken or malicious client",
      );
    // Verify, agree and sign the accept at once; the accept is only sent if all checks pass.
    const [valid, Ab, okay] = await Promise.all([
      this.crypto!.verify(signature, this.keep(concatBytes(K, B, this.shash)), A),
      this.eph!.agree(peerKey(Acurve, true)),
      this.lt!.sign(this.keep(concatBytes(K, hello, this.shash))),
    ]);
    for (const s of [Ab, okay]) if (s) this.keep(s);
    if (!valid)
      return this.reject('SHS_MSG3_BAD_SIGNATURE', "the client's signature is invalid: a broken or malicious client");
    if (!Ab)
      return this.reject('SHS_MSG3_BAD_SIGNATURE', "the client's long-term key gives a degenerate key agreement");
    this.state = 'authorizing';
    const decision = await Promise.resolve()
      .then(() => this.authorize(A.slice()))
      .then(
        (v) => ({ v }),
        (e: unknown) => ({ e }),
      );
    if ('e' in decision)
      return this.reject(
        'SHS_AUTHORIZE_ERROR',
        `authorize() failed (a local error, e.g. storage): ${String(decision.e)}`,
      );
    if (decision.v !== true)
      return this.reject(
        'SHS_UNAUTHORIZED',
        'the client proved its key, but authorize() refused it; we hang up without revealing our key',
      );
    const secret3 = this.keep(sha256Of(K, this.ab, this.aB, Ab));
    const msg4 = boxSeal(secret3, okay);
    this.state = 'done';
    return { ok: true, send: msg4, session: this.session(secret3, A, this.remoteMac, this.localMac) };
  }
}

/**
 * Work shaped like a good msg3's (verify, agree, sign), done when msg3 does not open, so a
 * wrong-key client and a refused one wait about as long for the hang-up (P15). authorize()'s
 * own time is not covered (docs/security.md).
 */
async function decoyWork(crypto: ShsCrypto, eph: EphemeralKey, lt: LongTermKey): Promise<void> {
  const d = (decoy ??= makeDecoy());
  const [, shared, sig] = await Promise.all([
    crypto.verify(d.signature, d.message, d.publicKey),
    eph.agree(d.curve),
    lt.sign(d.message),
  ]);
  shared?.fill(0);
  sig.fill(0);
}
let decoy: { publicKey: Uint8Array; curve: PeerKey; message: Uint8Array; signature: Uint8Array } | undefined;
function makeDecoy() {
  const seed = sha256(new TextEncoder().encode('parley/shs/1 decoy'));
  const publicKey = ed25519.getPublicKey(seed),
    message = new Uint8Array(96 + 64);
  return {
    publicKey,
    curve: peerKey(edPublicToCurve(publicKey)!, true),
    message,
    signature: ed25519.sign(message, seed),
  };
}

/**
 * Parley's SHS network key for one data channel: sha256("parley/shs/1" ‖ low ‖ high), the two
 * DTLS certificate fingerprints sorted bytewise (DESIGN.md, "The handshake"). A relay that
 * terminates DTLS on either side changes a fingerprint, so msg1/msg2 fail their HMAC.
 */
export function networkKeyFromFingerprints(a: Uint8Array, b: Uint8Array): Uint8Array {
  assertBytes('a', a);
  assertBytes('b', b);
  if (a.length === 0 || b.length === 0)
    throw new TypeError('networkKeyFromFingerprints: fingerprints must not be empty');
  const [low, high] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
  return sha256(concatBytes(new TextEncoder().encode('parley/shs/1'), low, high));
}

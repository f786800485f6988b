/**
 * A hostile relay: the real relay (`createRelay`) whose operator also holds the rendezvous
 * secret of one meeting — an invite link that leaked to them. With it the operator derives the
 * room, opens every sealed signal in it and seals its own (src/core/rendezvous.ts), following
 * the envelope flow of src/net/link.ts (hello → offer/answer/candidates addressed with
 * `from`/`to` → bye). Modes:
 *
 * - `mitm`: the offer never reaches the answerer. Two node-datachannel peers (DataPeer, bound to
 *   127.0.0.1), each with its own DTLS certificate, take its place: one answers the offerer in
 *   the answerer's name, the other offers to the answerer in the offerer's name. The victims'
 *   answers and candidates go to those peers only. Once both legs are open, every data-channel
 *   message is carried across verbatim. Each victim then has a working data channel — to the
 *   relay. What must stop the attack is the secret handshake, which binds both DTLS
 *   fingerprints into its network key: the two victims see different fingerprint pairs.
 * - `reseal` (control): every signal of the room is opened, decoded, re-encoded and sealed again
 *   under a fresh nonce, and forwarded; nothing is substituted. Proves the harness's opening,
 *   sealing and injection path do not by themselves break a meeting.
 *
 * In a test: `const r = await startHostileRelay({ mode: 'mitm' }); await r.target(secretOrLink)`.
 * As a process (browser tests): node --import tsx test/support/hostile-relay.ts --port N
 *   [--mode mitm|reseal] [--hide-failures yes] [--spoof-fingerprints yes] [--invite LINK] [--static dist]; then write `target LINK` lines to its
 *   stdin (the link is made during the test), and `stats` for a `stats {…}` line. It prints
 *   `hostile relay listening on URL`, and one `event {…}` JSON line per interception/bridge.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createRelay, type Relay } from '../../server/relay';
import type { LogLevel } from '../../server/log';
import { parseInvite } from '../../src/core/invite';
import {
  decodeSignal,
  encodeSignal,
  openSignal,
  roomId,
  sealSignal,
  type SignalEnvelope,
} from '../../src/core/rendezvous';
import { DataPeer, type PeerSignal } from '../../src/net/peer';
import { nodeWrtc } from './wrtc';
import { parseFlags } from './recording-relay';

export type HostileMode = 'mitm' | 'reseal';

export interface HostileStats {
  /** Sealed signals of the target room the relay opened. */
  opened: number;
  /** Signals it sealed itself (re-sealed or forged) and sent into the room. */
  sealed: number;
  /** Offers hijacked (one MITM session each). */
  intercepted: number;
  /** Sessions where both legs opened: each victim had a data channel to the relay. */
  bridgesOpened: number;
  /** Data-channel messages carried between the victims, and their bytes. */
  relayedMessages: number;
  relayedBytes: number;
  /** `bye` envelopes dropped (hideFailures). */
  hidden: number;
  /** Sessions where both victims' real fingerprints were written into the relay's SDPs. */
  spoofed: number;
}

export interface HostileRelayOptions {
  mode: HostileMode;
  port?: number;
  host?: '127.0.0.1';
  staticDir?: string;
  logLevel?: LogLevel;
  /**
   * `mitm` only: also drop every `bye` envelope and keep a victim's leg open after the other
   * victim hangs up, so that neither is told anything: each must notice the attack by itself.
   */
  hideFailures?: boolean;
  /**
   * `mitm` only: in the SDP it sends each victim, write the *other victim's* real certificate
   * fingerprint instead of its own, so that both victims compute the same network key as on an
   * honest path. The binding rests on DTLS refusing a certificate that does not match the SDP's
   * fingerprint; this checks that premise (the answer to the offerer is held back until the
   * answerer's real fingerprint is known).
   */
  spoofFingerprints?: boolean;
  /** node's WebRTC for the MITM peers (default: node-datachannel on loopback). */
  wrtc?: unknown;
  /**
   * `mitm` only: what the bridge forwards for the `index`-th data-channel message (0-based, per
   * direction) — the messages to send in its place, in order (`[]` drops it). Default: itself.
   */
  tamper?: (m: Uint8Array, dir: 'to-answerer' | 'to-offerer', index: number) => Uint8Array[];
  /** Called on every interception step, for logs. */
  onEvent?: (e: { event: string; [k: string]: unknown }) => void;
}

export interface HostileRelay {
  url: string;
  signalUrl: string;
  port: number;
  readonly stats: HostileStats;
  /** The leaked invite link (or its rendezvous secret): from now on that room is attacked. */
  target(linkOrSecret: string | Uint8Array): Promise<{ room: string }>;
  close(): Promise<void>;
}

interface Session {
  facingOfferer: DataPeer;
  facingAnswerer: DataPeer;
  realAnswer(sdp: string): void;
}

const FINGERPRINT_LINE = /^a=fingerprint:sha-256 [0-9A-Fa-f:]+$/gm;
/** The SDP's sha-256 fingerprint value (`AB:CD:…`), if any. */
const fingerprintOf = (sdp: string): string | null => /^a=fingerprint:sha-256 ([0-9A-Fa-f:]+)$/m.exec(sdp)?.[1] ?? null;
/** `s` with every sha-256 fingerprint line of its SDP (if it has one) set to `fp`. */
const withFingerprint = (s: PeerSignal, fp: string | null): PeerSignal =>
  fp && 'sdp' in s && s.sdp ? { ...s, sdp: s.sdp.replace(FINGERPRINT_LINE, `a=fingerprint:sha-256 ${fp}`) } : s;

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const SIGNAL_KINDS = new Set(['offer', 'answer', 'candidate']);

export async function startHostileRelay(o: HostileRelayOptions): Promise<HostileRelay> {
  const host = o.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new TypeError('startHostileRelay: host must be 127.0.0.1 (tests stay on loopback)');
  if (o.mode !== 'mitm' && o.mode !== 'reseal')
    throw new TypeError("startHostileRelay: mode must be 'mitm' or 'reseal'");
  const wrtc = o.wrtc ?? nodeWrtc;
  const emit = o.onEvent ?? (() => {});
  const stats: HostileStats = {
    opened: 0,
    sealed: 0,
    intercepted: 0,
    bridgesOpened: 0,
    relayedMessages: 0,
    relayedBytes: 0,
    hidden: 0,
    spoofed: 0,
  };
  let secret: Uint8Array | null = null;
  let room: string | null = null;
  let injector: WebSocket | null = null;
  /** Blobs the relay sealed itself: its own publishes pass the hook untouched. */
  const ours = new Set<string>();
  const sessions = new Map<string, Session>(); // `${offerer}>${answerer}`
  const early = new Map<string, SignalEnvelope[]>(); // signals for a session not yet made
  const peers: DataPeer[] = [];

  const seal = (e: SignalEnvelope): string => {
    stats.sealed++;
    const data = Buffer.from(sealSignal(secret!, encodeSignal(e), random)).toString('base64url');
    ours.add(data);
    return data;
  };
  const inject = (e: SignalEnvelope) => {
    if (!secret || !room || injector?.readyState !== WebSocket.OPEN) return;
    injector.send(JSON.stringify({ type: 'publish', room, data: seal(e) }));
  };

  /** Answers `offerer` as `answerer`, offers to `answerer` as `offerer`, and bridges the two. */
  const intercept = (offerer: string, answerer: string, offer: PeerSignal) => {
    stats.intercepted++;
    emit({ event: 'intercepted', offerer, answerer });
    const facingOfferer = new DataPeer({ initiator: false, iceServers: [], wrtc });
    const facingAnswerer = new DataPeer({ initiator: true, iceServers: [], wrtc });
    peers.push(facingOfferer, facingAnswerer);
    const key = `${offerer}>${answerer}`;
    const kind = (s: PeerSignal) => (SIGNAL_KINDS.has(s.type ?? '') ? s.type! : 'candidate');
    const spoof = o.mode === 'mitm' && o.spoofFingerprints === true;
    const offererFp = spoof && 'sdp' in offer && offer.sdp ? fingerprintOf(offer.sdp) : null;
    let answererFp: string | null = null;
    const held: PeerSignal[] = [];
    const toOfferer = (s: PeerSignal) =>
      inject({ kind: kind(s), from: answerer, to: offerer, payload: withFingerprint(s, answererFp) });
    sessions.set(key, {
      facingOfferer,
      facingAnswerer,
      realAnswer: (sdp) => {
        if (!spoof || answererFp !== null) return;
        answererFp = fingerprintOf(sdp);
        if (offererFp && answererFp) stats.spoofed++;
        emit({ event: 'spoofing', offererFp, answererFp });
        for (const s of held.splice(0)) toOfferer(s);
      },
    });
    facingOfferer.onSignal((s) => {
      if (spoof && answererFp === null) held.push(s);
      else toOfferer(s);
    });
    facingAnswerer.onSignal((s) =>
      inject({ kind: kind(s), from: offerer, to: answerer, payload: withFingerprint(s, offererFp) }),
    );
    void Promise.all([facingOfferer.connected, facingAnswerer.connected]).then(
      () => {
        stats.bridgesOpened++;
        emit({ event: 'bridged', offerer, answerer });
        const pipe = (from: DataPeer, to: DataPeer, dir: 'to-answerer' | 'to-offerer') => {
          let index = 0;
          from.onMessage((m) => {
            stats.relayedMessages++;
            stats.relayedBytes += m.length;
            for (const out of o.tamper ? o.tamper(m, dir, index++) : [m]) {
              try {
                if (!to.closed) to.send(out);
              } catch {
                /* that leg is closing: the victim hung up */
              }
            }
          });
        };
        pipe(facingOfferer, facingAnswerer, 'to-answerer');
        pipe(facingAnswerer, facingOfferer, 'to-offerer');
      },
      () => {
        emit({ event: 'bridge-failed', offerer, answerer });
      },
    );
    // One victim hanging up ends the other leg too, as a direct connection would — unless the
    // relay hides it.
    if (!o.hideFailures) {
      facingOfferer.onClose(() => facingAnswerer.destroy());
      facingAnswerer.onClose(() => facingOfferer.destroy());
    }
    facingOfferer.signal(offer);
    for (const e of early.get(key) ?? []) route(e);
    early.delete(key);
  };

  /** A victim's answer or candidate goes to the MITM peer facing it. */
  const route = (e: SignalEnvelope) => {
    const asOfferer = sessions.get(`${e.from}>${e.to}`);
    const asAnswerer = sessions.get(`${e.to}>${e.from}`);
    if (asOfferer) asOfferer.facingOfferer.signal(e.payload as PeerSignal);
    else if (asAnswerer) {
      const signal = e.payload as PeerSignal;
      if ('sdp' in signal && signal.sdp) asAnswerer.realAnswer(signal.sdp);
      asAnswerer.facingAnswerer.signal(signal);
    } else {
      const key = `${e.from}>${e.to}`;
      early.set(key, [...(early.get(key) ?? []), e]);
    }
  };

  const onForward = (r: string, data: string): string | null | undefined => {
    if (r !== room || !secret) return undefined;
    if (ours.delete(data)) return undefined;
    const opened = openSignal(secret, new Uint8Array(Buffer.from(data, 'base64url')));
    if (!opened.ok) return undefined; // not from this meeting's secret: leave it alone
    stats.opened++;
    const d = decodeSignal(opened.plaintext);
    if (!d.ok) return undefined;
    const e = d.envelope;
    if (o.mode === 'mitm' && o.hideFailures && e.kind === 'bye') {
      stats.hidden++;
      return null;
    }
    if (o.mode === 'reseal' || !SIGNAL_KINDS.has(e.kind) || e.to === undefined) {
      const resealed = seal(e);
      ours.delete(resealed); // forwarded through the hook's return value, not published
      return resealed;
    }
    if (e.kind === 'offer' && !sessions.has(`${e.from}>${e.to}`)) intercept(e.from, e.to, e.payload as PeerSignal);
    else route(e);
    return null; // the real peers never see each other's SDP or candidates
  };

  const relay: Relay = createRelay({
    host,
    port: o.port ?? 0,
    staticDir: o.staticDir ?? 'test/support/no-static-dir',
    logLevel: o.logLevel ?? 'warn',
    onForward,
  });
  const { port, url } = await relay.listen(o.port ?? 0, host);
  const signalUrl = `${url.replace(/^http/, 'ws')}/signal`;

  return {
    url,
    signalUrl,
    port,
    stats,
    async target(linkOrSecret) {
      if (typeof linkOrSecret === 'string') {
        const parsed = parseInvite(linkOrSecret, Date.now());
        if (!parsed.ok) throw new Error(`hostile relay: cannot read the invite: ${parsed.message}`);
        secret = parsed.invite.rendezvousSecret.slice();
      } else {
        if (!(linkOrSecret instanceof Uint8Array) || linkOrSecret.length !== 32)
          throw new TypeError('target: expected an invite link or a 32-byte rendezvous secret');
        secret = linkOrSecret.slice();
      }
      room = roomId(secret);
      injector?.close();
      const ws = new WebSocket(signalUrl);
      injector = ws;
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const subscribed = new Promise<void>((resolve) =>
        ws.on('message', (raw) => {
          if ((JSON.parse(String(raw)) as { type?: string }).type === 'subscribed') resolve();
        }),
      );
      // The relay would idle the injector out after a minute of silence; keep it talking.
      const ping = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, 15_000);
      ws.once('close', () => clearInterval(ping));
      ws.send(JSON.stringify({ type: 'subscribe', room }));
      await subscribed;
      emit({ event: 'targeting', room });
      return { room };
    },
    async close() {
      for (const p of peers) p.destroy();
      injector?.close();
      await relay.close();
    },
  };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), [
    'port',
    'mode',
    'invite',
    'static',
    'log',
    'hide-failures',
    'spoof-fingerprints',
  ]);
  const say = (line: string) => process.stdout.write(line + '\n');
  const relay = await startHostileRelay({
    mode: (f.mode ?? 'mitm') as HostileMode,
    hideFailures: f['hide-failures'] === 'yes',
    spoofFingerprints: f['spoof-fingerprints'] === 'yes',
    port: Number(f.port ?? process.env.PORT ?? 0),
    staticDir: f.static ?? process.env.STATIC_DIR ?? 'dist',
    logLevel: (f.log ?? process.env.LOG_LEVEL ?? 'warn') as LogLevel,
    onEvent: (e) => say(`event ${JSON.stringify(e)}`),
  });
  if (f.invite) await relay.target(f.invite);
  say(`hostile relay listening on ${relay.url}`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd, arg] = line.trim().split(/\s+/, 2);
    if (cmd === 'target' && arg)
      relay.target(arg).catch((e: unknown) => say(`error ${JSON.stringify(String((e as Error).message))}`));
    else if (cmd === 'stats') say(`stats ${JSON.stringify(relay.stats)}`);
    else if (cmd) say(`error ${JSON.stringify(`unknown command: ${cmd} (target LINK | stats)`)}`);
  });
  const stop = () => void relay.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`hostile relay: ${(e as Error).message}\n`);
    process.exit(1);
  });
}

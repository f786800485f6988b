/**
 * Load generator for the relay's abuse test and benchmark: many sockets that each stay inside
 * every per-socket limit (rate, frame size, rooms) and, with `forwardedBase`, each come from its
 * own client address (through TRUST_PROXY_HEADER=x-forwarded-for), so that per-address limits do
 * not stop them either. Sockets go in pairs into rooms and publish large frames at a steady rate;
 * what comes back is read and thrown away unparsed.
 *
 * It speaks WebSocket by hand on raw TCP sockets — the handshake, then prebuilt masked frames
 * written again and again — so that the generator spends its CPU on sending, not on masking and
 * parsing, and can offer far more than a `ws` client could. A socket whose kernel buffer is full
 * skips its turn (TCP backpressure from the relay); the report counts what was really written.
 *
 * As a process: node --import tsx test/support/flood.ts '<json FloodOptions>'; it prints one
 * JSON report per second and a final one with "done": true.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  /** ws://127.0.0.1:PORT/signal */
  url: string;
  sockets: number;
  /** Frames per second per socket (the relay's default limit is 50, burst 100). */
  rate: number;
  /** Size of each frame's JSON text (the relay's default limit is 65 536). */
  frameBytes: number;
  seconds: number;
  /** e.g. "10.7": socket i comes from 10.7.(i >> 8).(i & 255) via X-Forwarded-For. */
  forwardedBase?: string;
}

export interface FloodReport {
  open: number;
  /** Sockets the relay closed or cut, by the close code it sent (or "cut" without one). */
  closed: Record<string, number>;
  framesSent: number;
  bytesSent: number;
  /** What came back from the relay (the partners' frames it forwarded). */
  bytesReceived: number;
  /** Turns skipped because the socket's buffer was full (the relay was not reading it). */
  skipped: number;
  seconds: number;
  done?: boolean;
}

/** A masked client text frame carrying `text` (RFC 6455 §5.2). */
export function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.alloc(header + 4 + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = 0x80 | n;
  else if (n < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, header);
  for (let i = 0; i < n; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/** Opens a WebSocket by hand; resolves once the relay answered 101. */
function handshake(url: URL, forwardedFor: string | null): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(url.port), url.hostname, () => {
      const headers = [
        `GET ${url.pathname} HTTP/1.1`,
        `Host: ${url.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        ...(forwardedFor ? [`X-Forwarded-For: ${forwardedFor}`] : []),
      ];
      s.write(headers.join('\r\n') + '\r\n\r\n');
    });
    s.once('error', reject);
    s.once('data', (d: Buffer) => {
      if (!d.toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error('no WebSocket upgrade'));
      s.removeListener('error', reject);
      resolve(s);
    });
  });
}

/** The close code in a server close frame at the start of `d`, if there is one. */
function closeCode(d: Buffer): string | null {
  for (let i = 0; i + 3 < d.length; i++)
    if (d[i] === 0x88 && d[i + 1]! >= 2 && d[i + 1]! < 126) return String(d.readUInt16BE(i + 2));
  return null;
}

export async function flood(o: FloodOptions, report: (r: FloodReport) => void = () => {}): Promise<FloodReport> {
  const url = new URL(o.url);
  const r: FloodReport = { open: 0, closed: {}, framesSent: 0, bytesSent: 0, bytesReceived: 0, skipped: 0, seconds: 0 };
  const sockets: { s: Socket; frame: Buffer; alive: boolean }[] = [];
  const pad = (room: string) =>
    'A'.repeat(Math.max(4, o.frameBytes - `{"type":"publish","room":"${room}","data":""}`.length));
  for (let i = 0; i < o.sockets; i += 2) {
    const room = randomBytes(32).toString('base64url');
    const frame = maskedFrame(`{"type":"publish","room":"${room}","data":"${pad(room)}"}`);
    for (const j of [i, i + 1]) {
      if (j >= o.sockets) break;
      const ip = o.forwardedBase ? `${o.forwardedBase}.${j >> 8}.${j & 255}` : null;
      const s = await handshake(url, ip);
      const entry = { s, frame, alive: true };
      let code: string | null = null;
      s.on('data', (d: Buffer) => {
        r.bytesReceived += d.length;
        code ??= closeCode(d);
      });
      s.on('error', () => {});
      s.once('close', () => {
        entry.alive = false;
        r.open--;
        r.closed[code ?? 'cut'] = (r.closed[code ?? 'cut'] ?? 0) + 1;
      });
      s.write(maskedFrame(JSON.stringify({ type: 'subscribe', room })));
      sockets.push(entry);
      r.open++;
    }
  }
  const started = Date.now();
  let due = 0;
  let reported = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Frames due per socket by now: a late tick catches up, never beyond rate × time (so the
      // relay's per-socket bucket, 50/s with a burst of 100, is never exceeded).
      r.seconds = (Date.now() - started) / 1000;
      const target = Math.floor(Math.min(r.seconds, o.seconds) * o.rate);
      const n = target - due;
      due = target;
      for (const e of sockets) {
        for (let k = 0; k < n && e.alive; k++) {
          if (e.s.writableLength > 4 * e.frame.length) {
            r.skipped++;
            continue;
          }
          e.s.write(e.frame);
          r.framesSent++;
          r.bytesSent += e.frame.length;
        }
      }
      if (Math.floor(r.seconds) > reported) {
        reported = Math.floor(r.seconds);
        report({ ...r });
      }
      if (r.seconds >= o.seconds) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
  });
  for (const e of sockets) e.s.destroy();
  return { ...r, done: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = JSON.parse(process.argv[2] ?? '{}') as FloodOptions;
  flood(o, (r) => process.stdout.write(JSON.stringify(r) + '\n')).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
      process.exit(0);
    },
    (e: Error) => {
      process.stderr.write(`flood: ${e.message}\n`);
      process.exit(1);
    },
  );
}

/**
 * A TURN Allocate request by hand (RFC 8656 §7.1 with RFC 8489's long-term credentials), over
 * UDP on loopback: enough to ask a real coturn whether it grants a relay allocation for a given
 * username and password, without a browser or a WebRTC stack in between.
 *
 * Exchange: Allocate (no credentials) → 401 with REALM and NONCE; Allocate with USERNAME, REALM,
 * NONCE and MESSAGE-INTEGRITY = HMAC-SHA1(MD5(username ":" realm ":" password), message) →
 * success with XOR-RELAYED-ADDRESS, or an error (401 again for bad credentials).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ALLOCATE_OK = 0x0103;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
} as const;

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const b = Buffer.alloc(4 + value.length + pad);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function message(type: number, tid: Buffer, attrs: Buffer[], integrityKey?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(type, 0);
  header.writeUInt32BE(MAGIC, 4);
  tid.copy(header, 8);
  if (!integrityKey) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // The length covers the MESSAGE-INTEGRITY attribute while the HMAC is computed (RFC 8489 §14.5).
  header.writeUInt16BE(body.length + 24, 2);
  const mac = createHmac('sha1', integrityKey)
    .update(Buffer.concat([header, body]))
    .digest();
  return Buffer.concat([header, body, attr(ATTR.MESSAGE_INTEGRITY, mac)]);
}

interface Parsed {
  type: number;
  attrs: Map<number, Buffer>;
}

function parse(b: Buffer): Parsed {
  const attrs = new Map<number, Buffer>();
  let off = 20;
  const end = 20 + b.readUInt16BE(2);
  while (off + 4 <= end) {
    const t = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    attrs.set(t, b.subarray(off + 4, off + 4 + len));
    off += 4 + len + ((4 - (len % 4)) % 4);
  }
  return { type: b.readUInt16BE(0), attrs };
}

function errorCode(p: Parsed): number | null {
  const v = p.attrs.get(ATTR.ERROR_CODE);
  return v ? v[2]! * 100 + v[3]! : null;
}

function relayedAddress(p: Parsed): string | null {
  const v = p.attrs.get(ATTR.XOR_RELAYED_ADDRESS);
  if (!v || v[1] !== 1) return null; // IPv4 only here
  const port = v.readUInt16BE(2) ^ (MAGIC >>> 16);
  const ip = (v.readUInt32BE(4) ^ MAGIC) >>> 0;
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
}

export type AllocateResult = { ok: true; relayed: string } | { ok: false; errorCode: number | null; reason: string };

/** Asks the TURN server at 127.0.0.1:`port` for a UDP allocation with these credentials. */
export async function turnAllocate(port: number, username: string, password: string): Promise<AllocateResult> {
  const sock = createSocket('udp4');
  const exchange = (req: Buffer): Promise<Parsed> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('TURN server did not answer within 5 s')), 5000);
      sock.once('message', (msg) => {
        clearTimeout(timer);
        resolve(parse(msg));
      });
      sock.send(req, port, '127.0.0.1');
    });
  const transport = attr(ATTR.REQUESTED_TRANSPORT, Buffer.from([17, 0, 0, 0])); // UDP
  try {
    const challenge = await exchange(message(ALLOCATE, randomBytes(12), [transport]));
    const realm = challenge.attrs.get(ATTR.REALM);
    const nonce = challenge.attrs.get(ATTR.NONCE);
    if (errorCode(challenge) !== 401 || !realm || !nonce)
      return { ok: false, errorCode: errorCode(challenge), reason: 'no 401 challenge with realm and nonce' };
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const attrs = [
      transport,
      attr(ATTR.USERNAME, Buffer.from(username)),
      attr(ATTR.REALM, realm),
      attr(ATTR.NONCE, nonce),
    ];
    const answer = await exchange(message(ALLOCATE, randomBytes(12), attrs, key));
    const relayed = relayedAddress(answer);
    if (answer.type === ALLOCATE_OK && relayed) return { ok: true, relayed };
    return { ok: false, errorCode: errorCode(answer), reason: `answer type 0x${answer.type.toString(16)}` };
  } finally {
    sock.close();
  }
}

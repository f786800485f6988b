/**
 * The shs1-test adapters (`test/shs1/server`, `test/shs1/client`) start from any working
 * directory (issue 11, item 9): each is run from the OS temp directory and completes one full
 * handshake with Parley's own SHS machine in the other role, over its stdin/stdout, and prints
 * the session keys the other side derived (crosswise).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ShsClient, ShsServer, type ShsSession, type ShsStep } from '../../src/core/shs';
import { nodeShsCrypto } from '../../src/node/shs-node-crypto';

const KEYS_BYTES = 32 + 24 + 32 + 24;

/**
 * Runs adapter `role` from `cwd` against `machine`: every byte the machine sends goes to the
 * adapter's stdin, the adapter's first `handshakeBytes` of output go to the machine, the rest is
 * the adapter's key output. Resolves with the machine's session and those keys.
 */
function drive(
  role: 'server' | 'client',
  args: string[],
  cwd: string,
  machine: ShsClient | ShsServer,
  handshakeBytes: number,
): Promise<{ session: ShsSession; keys: Buffer; code: number | null; stderr: string }> {
  const adapter = fileURLToPath(new URL(`./${role}`, import.meta.url));
  const child = spawn(adapter, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = Buffer.alloc(0),
    fed = 0,
    stderr = '',
    session: ShsSession | null = null;
  const onStep = (s: ShsStep | null) => {
    if (!s) return;
    if (!s.ok) throw new Error(`test side failed: ${s.code} ${s.message}`);
    if (s.send) child.stdin.write(s.send);
    if (s.session) session = s.session;
  };
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    out = Buffer.concat([out, d]);
    const upto = Math.min(out.length, handshakeBytes);
    if (upto > fed) {
      const part = new Uint8Array(out.subarray(fed, upto));
      fed = upto;
      void machine.receive(part, Date.now()).then(onStep);
    }
  });
  if (machine instanceof ShsClient) void machine.start().then(onStep);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      if (!session) reject(new Error(`no session; adapter exited ${code}: ${stderr}`));
      else resolve({ session, keys: out.subarray(handshakeBytes), code, stderr });
    });
  });
}

function identity() {
  const seed = randomBytes(32),
    publicKey = ed25519.getPublicKey(seed);
  return { publicKey, secretKey: new Uint8Array([...seed, ...publicKey]) };
}

const crosswise = (ours: ShsSession, theirs: Buffer) => {
  expect(theirs.length).toBe(KEYS_BYTES);
  // The adapter prints its encryption key ‖ nonce ‖ decryption key ‖ nonce: ours, crosswise.
  expect(bytesToHex(theirs.subarray(0, 56))).toBe(
    bytesToHex(new Uint8Array([...ours.decryptKey, ...ours.decryptNonce])),
  );
  expect(bytesToHex(theirs.subarray(56))).toBe(bytesToHex(new Uint8Array([...ours.encryptKey, ...ours.encryptNonce])));
};

describe('shs1-test adapters run from any working directory (issue 11, item 9)', () => {
  it('the server adapter, started from the OS temp directory, completes a handshake with a Parley client', async () => {
    const networkKey = randomBytes(32),
      server = identity();
    const client = new ShsClient({
      networkKey,
      identity: identity(),
      serverPublicKey: server.publicKey,
      now: Date.now(),
      crypto: nodeShsCrypto,
    });
    const args = [networkKey, server.secretKey, server.publicKey].map((b) => bytesToHex(b));
    const r = await drive('server', args, tmpdir(), client, 64 + 80);
    expect(r.code, r.stderr).toBe(0);
    crosswise(r.session, r.keys);
  });

  it('the client adapter, started from the OS temp directory, completes a handshake with a Parley server', async () => {
    const networkKey = randomBytes(32),
      me = identity();
    const server = new ShsServer({
      networkKey,
      identity: me,
      now: Date.now(),
      crypto: nodeShsCrypto,
      authorize: () => true,
    });
    const r = await drive('client', [bytesToHex(networkKey), bytesToHex(me.publicKey)], tmpdir(), server, 64 + 112);
    expect(r.code, r.stderr).toBe(0);
    crosswise(r.session, r.keys);
  });
});

/**
 * shs1-test adapter (node_modules/shs1-test/README.md): runs Parley's SHS machine in one role
 * over stdin/stdout. Arguments are hex; server: network_identifier server_longterm_sk
 * server_longterm_pk; client: network_identifier server_longterm_pk. On success it writes the
 * last handshake message (server: msg4) and then encryption key ‖ nonce ‖ decryption key ‖
 * nonce; on any failure it exits 1 at once without writing more.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ShsClient, ShsServer, type CryptoPath, type ShsStep } from '../../src/core/shs';
import { nodeShsCrypto } from '../../src/node/shs-node-crypto';

// The harness starts every case at once; on a loaded machine a process can take seconds to get
// going, so the adapter allows far more than the 5 s default before calling a timeout.
const TIMEOUT_MS = 60_000;

// A node program, so it injects the node-native provider; SHS_CRYPTO=webcrypto|noble runs the
// same cases through a built-in path instead.
const path = process.env.SHS_CRYPTO as CryptoPath | undefined;
const provider = path === 'webcrypto' || path === 'noble' ? path : nodeShsCrypto;

export async function runAdapter(role: 'client' | 'server', args: string[]): Promise<void> {
  const networkKey = hexToBytes(args[0]!);
  let machine: ShsClient | ShsServer;
  if (role === 'server') {
    const secretKey = hexToBytes(args[1]!),
      publicKey = hexToBytes(args[2]!);
    machine = new ShsServer({
      networkKey,
      identity: { publicKey, secretKey },
      now: Date.now(),
      timeoutMs: TIMEOUT_MS,
      crypto: provider,
      authorize: () => true,
    });
  } else {
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const publicKey = ed25519.getPublicKey(seed);
    const secretKey = new Uint8Array([...seed, ...publicKey]);
    machine = new ShsClient({
      networkKey,
      identity: { publicKey, secretKey },
      serverPublicKey: hexToBytes(args[1]!),
      now: Date.now(),
      timeoutMs: TIMEOUT_MS,
      crypto: provider,
    });
  }
  let over = false;
  const onStep = (s: ShsStep | null) => {
    if (over || !s) return;
    if (!s.ok) {
      over = true;
      if (process.env.SHS_ADAPTER_DEBUG) process.stderr.write(`${s.code}: ${s.message}\n`);
      process.exit(1);
    }
    if (s.send) process.stdout.write(s.send);
    if (s.session) {
      over = true;
      const k = s.session;
      process.stdout.write(
        new Uint8Array([...k.encryptKey, ...k.encryptNonce, ...k.decryptKey, ...k.decryptNonce]),
        () => process.exit(0),
      );
    }
  };
  const timer = setInterval(() => onStep(machine.tick(Date.now())), 250);
  timer.unref();
  process.stdin.on('data', (chunk: Buffer) => {
    void machine.receive(new Uint8Array(chunk), Date.now()).then(onStep);
  });
  process.stdin.on('end', () => onStep(machine.closed()));
  if (machine instanceof ShsClient) onStep(await machine.start());
}

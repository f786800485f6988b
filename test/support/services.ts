/**
 * Real `redis-server` and `coturn` (Debian's packages) for the tests that need them, started by
 * the test itself on free loopback ports and killed when it is done — nothing is assumed to be
 * running. `npm test` installs the packages when it can (scripts/lib.mjs `ensureServices`); a test
 * run without them fails with the command that installs them (never a silent skip).
 *
 *   const redis = await startRedis();   // redis.url = redis://127.0.0.1:PORT
 *   const turn = await startCoturn({ secret });   // turn.port, turn.log()
 *   await redis.stop(); await turn.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL = 'apt-get update && apt-get install -y redis-server coturn';

/** Fails with the install command when `binary` is not on PATH. */
export function requireBinary(binary: string, pkg: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error(
      `${binary} (Debian package ${pkg}) is needed by this test and is not installed.\n` +
        `Install it with:  sudo sh -c '${INSTALL}'  (npm test does this itself when run as root).`,
    );
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A port free on 127.0.0.1 for both TCP and UDP a moment ago (coturn listens on both). */
async function freeTcpUdpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freeTcpPort();
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1');
}

export interface Service {
  port: number;
  pid: number;
  /** Everything the process printed so far. */
  log(): string;
  /** Kills the process (SIGKILL after 3 s) and removes its files. */
  stop(): Promise<void>;
}

function launch(cmd: string, args: string[], ready: RegExp, what: string, cleanup: () => void): Promise<Service> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    cleanup();
  };
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) resolve({ port: 0, pid: child.pid!, log: () => out, stop });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => reject(new Error(`${what} could not start: ${e.message}`)));
    child.once('exit', (code) => {
      cleanup();
      reject(new Error(`${what} exited with ${code} before it was ready:\n${out.slice(-2000)}`));
    });
  });
}

/** A throwaway redis-server on 127.0.0.1: no persistence, no config file. */
export async function startRedis(): Promise<Service & { url: string }> {
  requireBinary('redis-server', 'redis-server');
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpPort();
    const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    try {
      const s = await launch('redis-server', args, /Ready to accept connections/, 'redis-server', () =>
        rmSync(dir, { recursive: true, force: true }),
      );
      return { ...s, port, url: `redis://127.0.0.1:${port}` };
    } catch (e) {
      last = e as Error; // most likely the port was taken in between: try another
    }
  }
  throw last!;
}

export interface CoturnOptions {
  /** coturn's static-auth-secret (use-auth-secret). */
  secret: string;
  realm?: string;
}

/** coturn on 127.0.0.1 with TURN REST credentials, loopback peers allowed, no TLS (NOTES.md). */
export async function startCoturn(o: CoturnOptions): Promise<Service & { realm: string }> {
  requireBinary('turnserver', 'coturn');
  const realm = o.realm ?? 'parley.test';
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpUdpPort();
    // A relay port range of its own, so that coturns of parallel runs do not compete.
    const minPort = 50_000 + Math.floor(Math.random() * 90) * 100;
    const dir = mkdtempSync(join(tmpdir(), 'parley-coturn-'));
    const args = [
      ...['-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`],
      ...[`--min-port=${minPort}`, `--max-port=${minPort + 99}`, '--use-auth-secret'],
      ...[`--static-auth-secret=${o.secret}`, `--realm=${realm}`, '--allow-loopback-peers'],
      ...['--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--log-file=stdout', '--verbose', '--simple-log'],
      ...[`--pidfile=${join(dir, 'turnserver.pid')}`, `--userdb=${join(dir, 'turndb')}`],
    ];
    try {
      const s = await launch('turnserver', args, /UDP listener opened on/, 'coturn', () =>
        rmSync(dir, { recursive: true, force: true }),
      );
      return { ...s, port, realm };
    } catch (e) {
      last = e as Error;
    }
  }
  throw last!;
}

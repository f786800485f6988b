// Shared helpers for the npm scripts: install what is missing, run commands, find Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** What `run` returns when `opts.timeout` killed the command. */
export const STUCK = 124;

export function run(cmd, args, opts = {}) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error && r.error.code === 'ETIMEDOUT') return STUCK;
  if (r.error) throw r.error;
  return r.status ?? 1;
}

export function mustRun(cmd, args, opts) {
  const status = run(cmd, args, opts);
  if (status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${status})`);
    process.exit(status);
  }
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** Newest modification time of any file under `dir` (recursive). */
export function newest(dir) {
  let t = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : mtime(p));
  }
  return t;
}

/**
 * Runs `npm ci` when node_modules is missing or was installed from a different lock file.
 * Compares a hash of package.json + package-lock.json (not mtimes: a fresh clone or a git
 * checkout touches every file) with the one recorded after the last install.
 */
export function ensureDeps() {
  // A worktree whose node_modules is a symlink to another checkout's shares those packages:
  // `npm ci` here would empty the shared folder through the link. Leave it alone.
  try {
    if (lstatSync(join(root, 'node_modules')).isSymbolicLink()) return;
  } catch {
    /* missing: install below */
  }
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules/.parley-deps');
  const want = createHash('sha256')
    .update(readFileSync(join(root, 'package.json')))
    .update(existsSync(lock) ? readFileSync(lock) : '')
    .digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  console.log('Installing dependencies…');
  mustRun('npm', existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
  writeFileSync(stamp, want);
}

/** Builds the SPA into dist/ unless dist/ is newer than every source file. */
export function ensureBuild(force = false) {
  const built = mtime(join(root, 'dist/index.html'));
  const src = Math.max(
    newest(join(root, 'src')),
    newest(join(root, 'public')),
    mtime(join(root, 'index.html')),
    mtime(join(root, 'vite.config.ts')),
  );
  if (!force && built > src) return;
  console.log('Building the app…');
  mustRun('npx', ['vite', 'build', '--logLevel', 'warn']);
}

/** Makes sure Debian's Chromium is installed; installs it through apt when we are root. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.log("Installing Debian's Chromium through apt…");
    if (
      run('apt-get', ['update', '-qq']) === 0 &&
      run('apt-get', ['install', '-y', '-qq', 'chromium']) === 0 &&
      existsSync(CHROMIUM)
    )
      return true;
  }
  console.error(
    '\nChromium is needed for the end-to-end tests and is not installed.\n' +
      'Install it with:\n\n    sudo apt-get update && sudo apt-get install -y chromium\n\n' +
      '(or set CHROMIUM_PATH to a Chromium binary) and run npm test again.',
  );
  return false;
}

/** Debian packages the tests start themselves on loopback (test/support/services.ts). */
const SERVICES = [
  { binary: 'redis-server', pkg: 'redis-server', what: 'the scale-out tests (two relay instances sharing one Redis)' },
  { binary: 'turnserver', pkg: 'coturn', what: 'the TURN credential test (a real coturn)' },
];

function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure redis-server and coturn are installed (they are started by the tests, on loopback
 * ports, never as system services); installs them through apt when we are root, like Chromium.
 * Otherwise prints the one command to run. The tests that need them fail with the same advice.
 */
export function ensureServices() {
  const missing = SERVICES.filter((s) => !onPath(s.binary));
  if (missing.length === 0) return true;
  const pkgs = missing.map((s) => s.pkg);
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`Installing Debian's ${pkgs.join(' and ')} through apt (the tests start them themselves)…`);
    if (run('apt-get', ['update', '-qq']) === 0 && run('apt-get', ['install', '-y', '-qq', ...pkgs]) === 0)
      if (missing.every((s) => onPath(s.binary))) return true;
  }
  console.error(
    `\n${missing.map((s) => `${s.binary} (${s.pkg}) is needed by ${s.what}`).join('\n')} and is not installed.\n` +
      `Install it with:\n\n    sudo apt-get update && sudo apt-get install -y ${pkgs.join(' ')}\n\n` +
      'and run npm test again. (Nothing is started as a system service: the tests run their own on loopback.)',
  );
  return false;
}

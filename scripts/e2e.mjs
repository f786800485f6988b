// End-to-end tests: build the app, make sure Chromium is there, then run Playwright inside a
// network namespace that has only loopback (DESIGN.md, "Tests that cross a network"), so no
// WebRTC or other traffic can leave 127.0.0.0/8 even by mistake.
import { ensureDeps, ensureBuild, ensureChromium, run, root } from './lib.mjs';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

function canUnshare() {
  if (process.env.PARLEY_NO_NETNS) return false;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Runs the Playwright suite; returns { status, counts } or null when there are no e2e tests. */
export function runE2E(extraArgs = []) {
  const dir = join(root, 'e2e');
  if (!existsSync(dir) || !readdirSync(dir).some((f) => f.endsWith('.spec.ts'))) return null;
  ensureBuild();
  if (!ensureChromium()) return { status: 1, counts: { passed: 0, failed: 1 } };
  const out = join(root, '.cache/playwright.json');
  rmSync(out, { force: true });
  const pw = ['npx', 'playwright', 'test', '--reporter=list,json', ...extraArgs].join(' ');
  const env = { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out };
  let status;
  if (canUnshare()) {
    status = run('unshare', ['-n', 'sh', '-c', `ip link set lo up && ${pw}`], { env });
  } else {
    console.log('(no network namespace available: running with loopback-only WebRTC flags alone)');
    status = run('sh', ['-c', pw], { env });
  }
  let counts;
  try {
    const s = JSON.parse(readFileSync(out, 'utf8')).stats;
    counts = { passed: s.expected + s.flaky, failed: s.unexpected + (status !== 0 && s.unexpected === 0 ? 1 : 0) };
  } catch {
    counts = undefined;
  }
  return { status, counts };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureDeps();
  const r = runE2E(process.argv.slice(2));
  process.exit(r ? r.status : 0);
}

// `npm test`: install what is missing, then run every test: static checks, unit + property +
// integration (Vitest), the shs1-test conformance suite in both roles, and the end-to-end
// tests in Debian's Chromium inside a loopback-only network namespace. redis-server and coturn
// (Debian's packages) are installed when missing, as Chromium is; the tests start them on loopback.
// Ends with one line "N passed, N failed" counting every test case that ran.
import { ensureDeps, ensureServices, run, root, STUCK } from './lib.mjs';
import { existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runE2E } from './e2e.mjs';

ensureDeps();
// Missing services are not skipped: the tests that need them fail, naming the command to run.
ensureServices();
mkdirSync(join(root, '.cache'), { recursive: true });
let passed = 0;
let failed = 0;
const failedSteps = [];
const step = (name, status, counts) => {
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  } else if (status === 0) passed += 1;
  else failed += 1;
  if (status !== 0) failedSteps.push(name);
};

step('typecheck', run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']));
step(
  'svelte-check',
  run('npx', ['svelte-check', '--tsconfig', './tsconfig.json', '--threshold', 'error', '--output', 'human']),
);
step('lint', run('npx', ['eslint', '.']));
step('format', run('npx', ['prettier', '--check', '.', '--log-level', 'warn']));

const vitestJson = join(root, '.cache/vitest.json');
rmSync(vitestJson, { force: true });
const vStatus = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
let vCounts;
try {
  const j = JSON.parse(readFileSync(vitestJson, 'utf8'));
  vCounts = { passed: j.numPassedTests, failed: j.numFailedTests + (vStatus !== 0 && j.numFailedTests === 0 ? 1 : 0) };
} catch {
  vCounts = undefined;
}
step('vitest', vStatus, vCounts);

for (const role of ['server', 'client']) {
  const adapter = `test/shs1/${role}`;
  if (!existsSync(join(root, adapter))) continue;
  // A protocol failure makes the harness exit at once; a run that takes minutes is stuck (seen
  // once in ~20 runs: the server adapter idle after msg1 with its 60 s SHS timeout not firing,
  // cause unknown — see the issue notes). Such a run is killed after 5 minutes and tried once
  // more; a failure of the second run stands.
  let status = run('npx', [`shs1test${role}`, adapter], { timeout: 300_000, killSignal: 'SIGKILL' });
  if (status === STUCK) {
    console.log(`\nshs1-test ${role} was still running after 5 minutes: killed, trying once more`);
    status = run('npx', [`shs1test${role}`, adapter], { timeout: 300_000, killSignal: 'SIGKILL' });
  }
  step(`shs1-test ${role}`, status);
}

const e2e = runE2E();
if (e2e) step('e2e', e2e.status, e2e.counts);

console.log(failedSteps.length ? `\nFailed steps: ${failedSteps.join(', ')}` : '\nAll steps passed.');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps.length ? 1 : 0);

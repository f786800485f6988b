/**
 * `npm run bench [name…]`: runs every benchmark in bench/ (files `*.bench.ts`), or the named
 * ones, each in its own process so that one cannot warm up or slow down the next. Each prints,
 * as its last line, `{"bench","value","unit","baseline","ratio","target"}`; the baseline is
 * measured in the same run. This runner collects those lines into a table at the end.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${all.join(', ')}`);
  process.exit(2);
}
const results: Record<string, unknown>[] = [];
let failed = 0;
for (const name of wanted.length ? wanted : all) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.bench.ts`)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: join(here, '..'),
  });
  process.stdout.write(r.stdout ?? '');
  const last = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.status !== 0 || !last) {
    failed++;
    console.error(`benchmark ${name} failed (exit ${r.status})`);
    continue;
  }
  results.push(JSON.parse(last));
}
console.log('\n=== summary ===');
for (const r of results) console.log(JSON.stringify(r));
process.exit(failed ? 1 : 0);

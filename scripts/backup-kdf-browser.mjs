// Times @noble/hashes scrypt (sync and async) at the backup default (N = 2^17, r = 8, p = 1) in
// headless Chromium (/usr/bin/chromium), served from 127.0.0.1 only. Run: node scripts/backup-kdf-browser.mjs
// Results go in docs/backup.md §3 (timings are not asserted in tests).
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
const root = fileURLToPath(new URL('../node_modules/@noble/hashes', import.meta.url));
const page = `<!doctype html><script type="module">
import { scrypt, scryptAsync } from '/scrypt.js';
const o = { N: 2 ** 17, r: 8, p: 1, dkLen: 32 };
const out = [];
for (let i = 0; i < 3; i++) {
  let t = performance.now(); scrypt('pw', 'salt', o); const a = performance.now() - t;
  t = performance.now(); await scryptAsync('pw', 'salt', o); const b = performance.now() - t;
  out.push([Math.round(a), Math.round(b)]);
}
window.done = out;
</script>`;
const server = http.createServer((req, res) => {
  if (req.url === '/') {
    res.setHeader('content-type', 'text/html');
    return res.end(page);
  }
  if (req.url.includes('..')) {
    res.statusCode = 400;
    return res.end();
  }
  try {
    const body = readFileSync(root + req.url.split('?')[0]);
    res.setHeader('content-type', 'text/javascript');
    res.end(body);
  } catch {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const p = await browser.newPage();
await p.goto(`http://127.0.0.1:${server.address().port}/`);
await p.waitForFunction(() => window.done, null, { timeout: 120000 });
console.log(
  'chromium',
  await p.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0]),
  'rounds [sync ms, async ms]:',
  JSON.stringify(await p.evaluate(() => window.done)),
);
await browser.close();
server.close();

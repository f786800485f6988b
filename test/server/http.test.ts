import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type Running } from './helpers';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so that paths are sent exactly as written (fetch would normalise `..`). */
function get(url: string, path: string, method = 'GET'): Promise<Res> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const INDEX = '<!doctype html><title>Parley</title><script type="module" src="/assets/app-1a2b.js"></script>';

describe('HTTP: static app, headers, health and config', () => {
  let dir: string;
  let r: Running;
  const ice = [
    { urls: 'stun:stun.example.org:3478' },
    { urls: ['turn:turn.example.org'], username: 'u', credential: 'p' },
  ];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-1a2b.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'app-1a2b.css'), 'body{}');
    writeFileSync(join(dir, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'app.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(dir, 'manifest.webmanifest'), '{}');
    r = await startRelay({ staticDir: dir, iceServers: ice });
  });
  afterAll(async () => {
    await r.relay.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GET /healthz answers {"ok":true}', async () => {
    const res = await get(r.url, '/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('GET /config.json serves ICE_SERVERS', async () => {
    const res = await get(r.url, '/config.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ iceServers: ice, iceTransportPolicy: 'all' });
  });

  it('serves index.html with the security headers and no caching', async () => {
    const res = await get(r.url, '/');
    expect(res.status).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    const host = new URL(r.url).host;
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'"); // WebAssembly (hash-wasm) only
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${host} wss://${host}`);
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain("'unsafe-eval'");
  });

  it('serves assets with their MIME types, hashed ones as immutable', async () => {
    const cases: [string, string][] = [
      ['/assets/app-1a2b.js', 'text/javascript; charset=utf-8'],
      ['/assets/app-1a2b.css', 'text/css; charset=utf-8'],
      ['/icon.svg', 'image/svg+xml'],
      ['/app.wasm', 'application/wasm'],
      ['/manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
    ];
    for (const [path, type] of cases) {
      const res = await get(r.url, path);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(type);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
    }
    expect((await get(r.url, '/assets/app-1a2b.js')).headers['cache-control']).toContain('immutable');
    expect((await get(r.url, '/icon.svg')).headers['cache-control']).toBe('no-cache');
  });

  it('falls back to index.html for client-side routes, never cached', async () => {
    for (const path of ['/chat/alice', '/settings', '/index.html', '/?x=1']) {
      const res = await get(r.url, path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toBe(INDEX);
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('answers 404 for a missing asset rather than the app', async () => {
    const res = await get(r.url, '/assets/gone-9999.js');
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('<title>Parley</title>');
  });

  it('never serves a file outside STATIC_DIR', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fetc%2fpasswd',
      '/..%5c..%5cetc%5cpasswd',
    ]) {
      const res = await get(r.url, path);
      expect(res.body, path).not.toMatch(/root:|"name"/);
      expect([200, 400, 404], path).toContain(res.status);
    }
    expect((await get(r.url, '/%E0%A4%A')).status).toBe(400);
    expect((await get(r.url, '/a%00b')).status).toBe(400);
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await get(r.url, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await get(r.url, '/healthz', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('does not expose /stats unless enabled', async () => {
    const res = await get(r.url, '/stats');
    expect(res.body).not.toContain('heapUsed');
  });

  it('answers a plain GET of /signal with 426', async () => {
    expect((await get(r.url, '/signal')).status).toBe(426);
  });
});

describe('HTTP without a built app', () => {
  it('explains how to build it, and /healthz still works', async () => {
    const r = await startRelay({ staticDir: join(tmpdir(), 'parley-no-such-dist') });
    try {
      const res = await get(r.url, '/');
      expect(res.status).toBe(503);
      expect(res.body).toContain('npm run build');
      expect(res.headers['content-security-policy']).toBeDefined();
      expect((await get(r.url, '/healthz')).status).toBe(200);
    } finally {
      await r.relay.close();
    }
  });
});

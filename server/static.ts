/**
 * HTTP side of the process: /healthz, /config.json, /metrics, the optional /stats, and the built SPA
 * from STATIC_DIR with a fallback to index.html for client-side routes. Every response carries
 * the security headers; index.html is never cached, hashed assets forever.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Logger } from './log';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/** A Host header we are willing to echo into the CSP (host, host:port, [v6]:port). */
const HOST_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function securityHeaders(host: string | undefined): Record<string, string> {
  const sameHostWs = host && HOST_RE.test(host) ? ` ws://${host} wss://${host}` : '';
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      // 'wasm-unsafe-eval' lets the OPFS worker compile hash-wasm's SHA-256 (WebAssembly only;
      // JavaScript eval stays refused). docs/files.md "Whole-file hash".
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      `connect-src 'self'${sameHostWs}`,
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "worker-src 'self' blob:",
      // The web app manifest (docs/pwa.md); sw.js and the manifest are not under /assets, so no-cache.
      "manifest-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    // No camera/microphone ban here: e2e tests rely on those permissions to get loopback ICE.
    'Permissions-Policy': 'geolocation=(), payment=(), usb=()',
  };
}

export interface HttpOptions {
  staticDir: string;
  /** The /config.json body, made per request (TURN credentials are fresh each time). */
  iceConfig: () => unknown;
  stats?: () => unknown;
  /** GET /metrics: Prometheus text and its content type. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** False while draining: /healthz answers 503 so a load balancer stops sending new clients. */
  healthy: () => boolean;
  log: Logger;
}

function send(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  type: string,
  body: string,
  cache = 'no-store',
): void {
  res.writeHead(status, {
    ...securityHeaders(req.headers.host),
    'Content-Type': type,
    'Cache-Control': cache,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Parley: app not built</title>
<h1>Parley's relay is running, but the app is not built</h1>
<p>The signaling endpoint <code>/signal</code> works. To serve the app as well, build it with
<code>npm run build</code> (or use <code>npm start</code>, which builds when needed), or point
<code>STATIC_DIR</code> at the directory holding <code>index.html</code>.</p>`;

async function fileInfo(path: string): Promise<{ size: number } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size } : null;
  } catch {
    return null;
  }
}

/** Answers the relay's own paths (/healthz, /config.json, /metrics, /stats, /signal); false for any other. */
async function serveEndpoint(
  o: HttpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const json = (status: number, body: string) => send(res, req, status, 'application/json', body);
  if (path === '/healthz') json(o.healthy() ? 200 : 503, `{"ok":${o.healthy()}}`);
  else if (path === '/config.json') json(200, JSON.stringify(o.iceConfig()));
  else if (path === '/metrics' && o.metrics) {
    const m = await o.metrics();
    send(res, req, 200, m.contentType, m.body);
  } else if (path === '/stats' && o.stats) json(200, JSON.stringify(o.stats()));
  else if (path === '/signal') send(res, req, 426, 'text/plain; charset=utf-8', 'WebSocket upgrade required\n');
  else return false;
  return true;
}

/** The request handler for everything but the WebSocket upgrade. */
export function createHttpHandler(o: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(o.staticDir);

  const serveFile = (req: IncomingMessage, res: ServerResponse, path: string, size: number, cache: string): void => {
    res.writeHead(200, {
      ...securityHeaders(req.headers.host),
      'Content-Type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': size,
      'Cache-Control': cache,
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(path);
    stream.on('error', (e) => {
      o.log.warn('static read failed', { error: e.message });
      res.destroy();
    });
    stream.pipe(res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, req, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    if (await serveEndpoint(o, req, res, rawPath)) return;

    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return send(res, req, 400, 'text/plain; charset=utf-8', 'bad request\n');
    }
    if (decoded.includes('\0') || !decoded.startsWith('/'))
      return send(res, req, 400, 'text/plain; charset=utf-8', 'bad request\n');
    const path = resolve(root, '.' + decoded);
    if (path !== root && !path.startsWith(root + sep))
      return send(res, req, 404, 'text/plain; charset=utf-8', 'not found\n');

    const file = path === root ? null : await fileInfo(path);
    if (file && !path.endsWith(`${sep}index.html`)) {
      const immutable = path.startsWith(join(root, 'assets') + sep);
      return serveFile(req, res, path, file.size, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    // A missing file with an extension is a real 404 (a stale asset), not a client-side route.
    if (!file && extname(decoded) !== '' && extname(decoded) !== '.html') {
      return send(res, req, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    const index = join(root, 'index.html');
    const indexInfo = await fileInfo(index);
    if (!indexInfo) return send(res, req, 503, 'text/html; charset=utf-8', NOT_BUILT);
    return serveFile(req, res, index, indexInfo.size, 'no-store');
  };

  return (req, res) => {
    handle(req, res).catch((e: Error) => {
      o.log.error('http handler failed', { error: e.message });
      if (!res.headersSent) send(res, req, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  };
}

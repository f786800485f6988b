/**
 * A test page for browser-only code (OPFS, IndexedDB, WebCrypto in workers): builds a small Vite
 * project (e.g. test/browser-opfs) into a temporary folder and serves it on 127.0.0.1, so a spec
 * can drive the real module in Chromium without the whole app around it, under the app's CSP.
 */
import { createServer, type Server } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'vite';
import { securityHeaders } from '../../server/static';

export interface HarnessPage {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

/** Builds `root` (a folder with an index.html) and serves the result; `close()` removes it. */
export async function serveHarnessPage(root: string): Promise<HarnessPage> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-harness-'));
  await build({
    root,
    configFile: false,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true, target: 'es2022' },
  });
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    try {
      const body = await readFile(join(dir, path === '/' ? 'index.html' : path.replace(/\.\./g, '')));
      // The app's own headers (CSP included), so the module runs under the rules it meets in the app.
      res
        .writeHead(200, {
          ...securityHeaders(req.headers.host),
          'content-type': TYPES[extname(path) || '.html'] ?? 'application/octet-stream',
        })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
    close: async () => {
      server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

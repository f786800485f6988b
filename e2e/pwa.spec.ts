/**
 * The installable app (docs/pwa.md): the manifest and the headers it is served with, the service
 * worker opening the app with the server stopped, and a new build waiting for the person's click.
 * Each test that stops its server runs its own relay process (e2e/support/spawn-relay.ts).
 */
import { test, expect, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  contextOptions,
  chooseName,
  makeInvite,
  expectConnected,
  send,
  message,
  openInviteLink,
  type Person,
} from './support/app';
import { spawnRelay, type RelayProcess } from './support/spawn-relay';
import { E2E_PORT } from '../playwright.config';
import { SHARE_TARGET_PATH } from '../src/app/share-limits';

/** Width and height from a PNG's IHDR chunk (bytes 16..23). */
function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 8).toString('latin1')).toBe('\x89PNG\r\n\x1a\n');
  expect(b.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Resolves once a service worker is active for the page, with the app's files precached. */
async function serviceWorkerReady(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const r = await navigator.serviceWorker.ready;
    return r.active?.scriptURL ?? '';
  });
}

test.describe('installable app', () => {
  let relay: RelayProcess | undefined;
  const people: Person[] = [];
  test.afterEach(async () => {
    for (const p of people.splice(0)) await p.context.close().catch(() => {});
    await relay?.stop();
    relay = undefined;
  });

  test('the manifest has the fields an install needs, its icons load at their sizes, and sw.js and the manifest are served fresh', async ({
    request,
    page,
  }) => {
    await page.goto('/');
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBe('/manifest.webmanifest');
    const res = await request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^application\/manifest\+json/);
    expect(res.headers()['cache-control']).toBe('no-cache');
    const m = (await res.json()) as Record<string, any>;
    expect(m).toMatchObject({
      name: 'Parley',
      short_name: 'Parley',
      display: 'standalone',
      start_url: '/',
      scope: '/',
    });
    expect(m.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(m.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    const icons = m.icons as { src: string; sizes: string; type: string; purpose?: string }[];
    for (const want of ['192x192', '512x512'])
      expect(icons.some((i) => i.sizes === want && (i.purpose ?? 'any').includes('any'))).toBe(true);
    expect(icons.some((i) => i.purpose?.includes('maskable'))).toBe(true);
    for (const icon of icons) {
      const r = await request.get(icon.src);
      expect(r.status(), icon.src).toBe(200);
      expect(r.headers()['content-type']).toBe(icon.type);
      const { width, height } = pngSize(await r.body());
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
    }
    // The share target takes text and files, posted to a path only the service worker answers.
    expect(m.share_target).toMatchObject({
      action: SHARE_TARGET_PATH,
      method: 'POST',
      enctype: 'multipart/form-data',
    });
    expect(m.share_target.params.text).toBeTruthy();
    expect(m.share_target.params.files[0].name).toBeTruthy();

    const sw = await request.get('/sw.js');
    expect(sw.status()).toBe(200);
    expect(sw.headers()['content-type']).toMatch(/^text\/javascript/);
    expect(sw.headers()['cache-control']).toBe('no-cache');
    const csp = (await request.get('/')).headers()['content-security-policy']!;
    expect(csp).toContain("worker-src 'self'");
    expect(csp).toContain("manifest-src 'self'");
    expect(await serviceWorkerReady(page)).toMatch(/\/sw\.js$/);
  });

  test('with the server stopped, a reload still opens the app with the identity and the history, and says the relay is unreachable', async ({
    browser,
  }) => {
    test.setTimeout(180_000);
    relay = await spawnRelay('../../server/main.ts', E2E_PORT + 21, {});
    const join = async (name: string): Promise<Person> => {
      const context = await browser.newContext(contextOptions(relay!.url));
      const page = await context.newPage();
      await page.goto('/');
      await chooseName(page, name);
      const p = { name, context, page };
      people.push(p);
      return p;
    };
    const alice = await join('Alice');
    const bob = await join('Bob');
    await openInviteLink(bob, await makeInvite(alice));
    await expectConnected(bob, 'Alice');
    await send(alice, 'kept for the offline reload');
    await expect(message(bob, 'kept for the offline reload')).toBeVisible({ timeout: 30_000 });
    expect(await serviceWorkerReady(bob.page)).toMatch(/\/sw\.js$/);

    await alice.context.close();
    people.splice(people.indexOf(alice), 1);
    await relay.stop();
    // Nothing answers on the port now: the page, its scripts and styles come from the service worker.
    await expect
      .poll(() =>
        fetch(`${relay!.url}/healthz`).then(
          () => 'up',
          () => 'down',
        ),
      )
      .toBe('down');
    await bob.page.reload();
    await expect(bob.page.getByTestId('own-name')).toHaveText('Bob', { timeout: 30_000 });
    await expect(bob.page.getByTestId('contact-item').filter({ hasText: 'Alice' })).toHaveCount(1);
    await expect(message(bob, 'kept for the offline reload')).toBeVisible();
    const banner = bob.page.getByTestId('error-banner');
    await expect(banner).toHaveAttribute('data-code', 'RELAY_DOWN', { timeout: 30_000 });
    await expect(bob.page.getByTestId('connection-status')).toContainText('relay server is unreachable');
  });

  test('a new build waits for the click on Reload, then runs', async ({ browser }) => {
    test.setTimeout(240_000);
    // Two builds of the same sources that differ only in their build label (vite.config.ts).
    const dirs = { A: test.info().outputPath('build-a'), B: test.info().outputPath('build-b') };
    for (const [id, dir] of Object.entries(dirs)) {
      const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'error', '--outDir', dir, '--emptyOutDir'], {
        env: { ...process.env, PARLEY_BUILD_ID: id },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      expect(r.status, `build ${id}`).toBe(0);
    }
    const scriptOf = (dir: string) =>
      /src="(\/assets\/index-[^"]+\.js)"/.exec(readFileSync(join(dir, 'index.html'), 'utf8'))![1];
    expect(scriptOf(dirs.A)).not.toBe(scriptOf(dirs.B));

    const port = E2E_PORT + 22;
    relay = await spawnRelay('../../server/main.ts', port, { STATIC_DIR: dirs.A });
    const context = await browser.newContext(contextOptions(relay.url));
    const page = await context.newPage();
    people.push({ name: 'Ada', context, page });
    await page.goto('/');
    await chooseName(page, 'Ada');
    await serviceWorkerReady(page);
    const build = async () => {
      if ((await page.getByTestId('identity-open').getAttribute('aria-expanded')) !== 'true')
        await page.getByTestId('identity-open').click();
      return page.getByTestId('app-build').textContent();
    };
    expect(await build()).toBe('Parley A');
    await expect(page.getByTestId('update-ready')).toHaveCount(0); // the first install is no update

    await relay.stop();
    relay = await spawnRelay('../../server/main.ts', port, { STATIC_DIR: dirs.B });
    // The reload still shows build A (from the cache); the browser finds B's worker meanwhile.
    await page.reload();
    await expect(page.getByTestId('update-ready')).toContainText('A new version of Parley is ready', {
      timeout: 30_000,
    });
    expect(await build()).toBe('Parley A');
    await page.getByTestId('update-reload').click();
    await expect
      // The click reloads the page: an evaluate that meets the navigation half way reads "not yet".
      .poll(
        () =>
          page
            .evaluate(() => document.querySelector('script[type="module"]')?.getAttribute('src'))
            .catch(() => 'navigating'),
        {
          timeout: 30_000,
        },
      )
      .toBe(scriptOf(dirs.B));
    await expect(page.getByTestId('own-name')).toHaveText('Ada');
    expect(await build()).toBe('Parley B');
    await expect(page.getByTestId('update-ready')).toHaveCount(0);
  });
});

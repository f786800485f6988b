import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};
/** What the identity panel shows as the build (docs/pwa.md "Updates"); tests build two versions with it. */
const build = process.env.PARLEY_BUILD_ID || version;

export default defineConfig({
  plugins: [
    svelte(),
    // The installable app (docs/pwa.md): manifest, icons and a Workbox service worker built from
    // src/sw/sw.ts with the list of built files injected, registered by src/app/update.svelte.ts.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/apple-touch-icon.png'],
      injectManifest: {
        // The manifest, its icons and includeAssets are added by the plugin.
        globPatterns: ['**/*.{js,css,html}'],
        // The bundle is ~0.5 MB; anything past 3 MiB is a mistake to be noticed, not precached.
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
      manifest: {
        id: '/',
        name: 'Parley',
        short_name: 'Parley',
        description: 'End-to-end encrypted chat and file transfer, directly between browsers.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#2f5bd3',
        background_color: '#f5f6f8',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        share_target: {
          // src/app/share-limits.ts SHARE_TARGET_PATH (e2e/pwa.spec.ts checks they agree).
          action: '/share-target',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: { title: 'title', text: 'text', url: 'url', files: [{ name: 'files', accept: ['*/*'] }] },
        },
      },
    }),
  ],
  define: { __PARLEY_BUILD__: JSON.stringify(build) },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true },
  // JSON as one JSON.parse of a string, not a module of named exports: the confusables table
  // (src/app/names.ts, its own chunk) is 77 KB that way, 141 KB as a module of named exports.
  json: { namedExports: false, stringify: true },
  server: { port: 5173 },
});

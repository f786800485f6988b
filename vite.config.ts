import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  build: { target: 'es2022', outDir: 'dist', sourcemap: true },
  // JSON as one JSON.parse of a string, not a module of named exports: the confusables table
  // (src/app/names.ts, its own chunk) is 77 KB that way, 141 KB as a module of named exports.
  json: { namedExports: false, stringify: true },
  server: { port: 5173 },
});

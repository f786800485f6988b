/// <reference types="svelte" />
/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/vanillajs" />

/** The build's label (package version, or `PARLEY_BUILD_ID` at build time): vite.config.ts. */
declare const __PARLEY_BUILD__: string;

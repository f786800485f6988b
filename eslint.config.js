import tseslint from 'typescript-eslint';

// The one architectural rule that matters most: src/core is pure protocol code and may not
// reach into networking, storage, app state or UI (DESIGN.md, "Layers").
// One convention for relative imports: no extension (`./frames`, not `./frames.js`).
const relativeImports = {
  regex: '^\\.{1,2}/.*\\.js$',
  message: 'relative imports carry no extension: write ./x, not ./x.js.',
};

const coreBans = {
  patterns: [
    relativeImports,
    {
      group: ['**/net/**', '**/store/**', '**/app/**', '**/ui/**', '../net', '../store', '../app', '../ui'],
      message: 'src/core must stay pure: no imports from net/, store/, app/ or ui/.',
    },
    {
      group: ['svelte', 'svelte/*', 'simple-peer', 'simple-peer/*', 'idb', 'ws', 'node:*'],
      message: 'src/core must stay pure: no DOM, WebRTC, IndexedDB, sockets or node built-ins.',
    },
    {
      group: ['**/node/**', '../node'],
      message:
        'src/core must stay pure: node-only providers (src/node/) are injected by node programs, never imported by the core.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', '**/*.svelte', 'test/shs1/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': ['error', { patterns: [relativeImports] }],
    },
  },
  {
    // Functions under 60 lines everywhere in the app and the relay (docs/contributing.md, issue 19).
    files: ['src/**/*.ts', 'server/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', coreBans],
      'no-restricted-globals': [
        'error',
        'window',
        'document',
        'localStorage',
        'indexedDB',
        'RTCPeerConnection',
        'WebSocket',
        'setTimeout',
        'setInterval',
      ],
    },
  },
);

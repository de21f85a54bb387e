// ESLint 9 flat config: @eslint/js + typescript-eslint. TypeScript is linted type-aware, so
// promise mistakes (a forgotten await, an async callback nothing awaits) fail `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const readonly = (names) => Object.fromEntries(names.map((n) => [n, 'readonly']));

export default tseslint.config(
  { ignores: ['dist/**', 'types/**', 'node_modules/**', 'admin/**', 'coverage/**', 'data/**', 'packages/*/dist/**', 'packages/create-neptuno/templates/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Async handlers passed where a void callback is expected (Fastify hooks, emitters) are fine.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    rules: {
      // `_name` marks a value kept on purpose; `const { dropped, ...rest } = x` omits a field.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Plain JavaScript outside TypeScript's view: Node scripts and the landing page's browser code.
  { files: ['bin/**/*.mjs', 'scripts/**/*.mjs', 'packages/create-neptuno/*.mjs', 'eslint.config.js'], languageOptions: { globals: readonly(['process', 'console', 'URL', 'Buffer']) } },
  {
    files: ['examples/landing/**/*.js'],
    languageOptions: {
      globals: readonly(['document', 'location', 'navigator', 'fetch', 'URL', 'URLSearchParams', 'FormData', 'console', 'window', 'localStorage', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval']),
    },
  },
  // The tracking module's browser script (served as is; __HEARTBEAT__ is filled in by script.ts).
  {
    files: ['src/modules/tracking/browser/**/*.js'],
    languageOptions: { globals: readonly(['window', 'document', 'navigator', 'location', 'history', 'fetch', 'setInterval', '__HEARTBEAT__']) },
  },
);

import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `import … from 'neptuno'` in tests and examples resolves to the TypeScript sources, not dist/.
  resolve: { conditions: ['neptuno-source'] },
  ssr: { resolve: { conditions: ['neptuno-source'], externalConditions: ['neptuno-source'] } },
  test: {
    include: ['src/**/*.test.ts', 'examples/**/*.test.ts', 'deploy/**/*.test.ts', 'packages/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on CI: more forks only add contention on SQLite files and PostgreSQL.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['src/testing/global-setup.ts'],
  },
});

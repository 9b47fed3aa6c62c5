import { defineConfig } from 'vitest/config';

/** Test files that need no PostgreSQL, no Redis and no build: `npm run test:unit`. */
const UNIT = [
  'test/error-aggregation.test.ts',
  'test/logger-context.test.ts',
  'test/logger-safe-data.test.ts',
  'test/normalize-entry.test.ts',
  'test/query-language.test.ts',
  'test/settings.test.ts',
  'test/stream-filter.test.ts',
  'test/transport-batcher-writes.test.ts',
  'test/ui/live-buffer.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // most files wait on PostgreSQL, Redis, timers or a browser rather than on a core
    maxWorkers: 3,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      // the stores, the compiled package and the built UI (browser tests: test/ui)
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, '**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});

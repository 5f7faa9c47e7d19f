import { defineConfig } from 'vitest/config';

// Integration tests start real node processes; on a 2-core machine two test files at a time keep
// them from starving each other. The JSON report feeds the summary line of .ci/run, and each run's
// summary in `npm run test:stress` (which points it elsewhere with CAIRN_TEST_REPORT).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: process.env.CAIRN_TEST_REPORT || 'test-results.json' }]],
  },
});

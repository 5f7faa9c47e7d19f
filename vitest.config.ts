import { defineConfig } from 'vitest/config';

// Integration tests start real node processes; on a 2-core machine two test files at a time keep
// them from starving each other. The JSON report feeds the summary line of .ci/run.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});

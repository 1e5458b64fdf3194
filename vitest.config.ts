import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests spawn real processes (npm, bam dev, chromium): keep the 2-core machine responsive.
    maxWorkers: 2,
    // The default report, then one plain closing line: "N passed, N failed, N skipped".
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});

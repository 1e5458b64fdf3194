import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests that spawn bin/bam.js run dist/: the run builds it first, so it is never stale.
    globalSetup: ['./test/helpers/buildDist.ts'],
    // Bounds on a hang only: no test measures time, and on a loaded machine starting processes
    // (bam dev, npm, chromium) takes several times as long as on an idle one.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn real processes (npm, bam dev, chromium): keep the 2-core machine responsive.
    maxWorkers: 2,
    // Tests build SDK clients themselves; the SDK's Node 20 notice would repeat in every worker.
    // (test/cli.test.ts removes this again to prove bam hides the notice on its own.)
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // The default report, then one plain closing line: "N passed, N failed, N skipped".
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});

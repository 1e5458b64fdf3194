import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

// Some tests run the built CLI (bin/bam.js → dist/), as users do. So that they never test a
// stale build, the test run makes its own first (tsc, about ten seconds).
export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
}

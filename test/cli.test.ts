import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'bam-cli-'));

function bam(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin/bam.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, BAM_HOME: home, NO_COLOR: '1' },
    input: '',
  });
}

describe('bam CLI (built)', () => {
  it('prints help for bare bam, -h, --help and help, exit 0', () => {
    for (const args of [[], ['-h'], ['--help'], ['help']]) {
      const run = bam(...args);
      expect(run.status, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: bam');
    }
  });

  it('prints the version for -v, --version and version', () => {
    for (const args of [['-v'], ['--version'], ['version']]) {
      const run = bam(...args);
      expect(run.status).toBe(0);
      expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it('exits 2 on an unknown command and on bad usage, with one line on stderr', () => {
    expect(bam('nope').status).toBe(2);
    const bad = bam('config', '--accountNumber', '12');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('12 digits');
  });

  it('adds the stack trace only with BAM_DEBUG=1', () => {
    const quiet = bam('config', '--accountNumber', '12');
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const debug = spawnSync(process.execPath, [join(root, 'bin/bam.js'), 'config', '--accountNumber', '12'], {
      encoding: 'utf8',
      env: { ...process.env, BAM_HOME: home, NO_COLOR: '1', BAM_DEBUG: '1' },
      input: '',
    });
    expect(debug.status).toBe(2);
    expect(debug.stderr.split('\n')[0]).toContain('12 digits');
    expect(debug.stderr).toMatch(/\n\s+at .*config\.js/);
  });

  it('loads no AWS SDK code for --help and --version', () => {
    const hook = join(root, 'test/fixtures/hooks/forbid-aws-sdk.mjs');
    for (const args of [['--help'], ['--version'], ['help', 'create']]) {
      const run = spawnSync(process.execPath, ['--import', hook, join(root, 'bin/bam.js'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, BAM_HOME: home },
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toContain('AWS SDK loaded');
    }
    // The hook really does catch an SDK import:
    const control = spawnSync(process.execPath, ['--import', hook, '-e', "import('@aws-sdk/client-sts').then(() => process.exit(0), () => process.exit(3))"], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(control.status).toBe(3);
  });

  it('does not print the AWS SDK Node version warning on a command that calls AWS', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BAM_HOME: home,
      NO_COLOR: '1',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // nothing listens: the call fails fast, locally
      AWS_MAX_ATTEMPTS: '1',
    };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const run = spawnSync(process.execPath, [join(root, 'bin/bam.js'), 'logs', 'hello'], { encoding: 'utf8', env, input: '' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Error:');
    expect(run.stderr).toContain('AWS could not be reached (AWS_ENDPOINT_URL is http://127.0.0.1:9)');
    expect(run.stderr).not.toContain('NodeVersionSupportWarning');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stops quietly, exit 0, when the reader of its output goes away (bam ... | head)', async () => {
    const child = spawn(process.execPath, [join(root, 'bin/bam.js'), '--help'], { env: { ...process.env, BAM_HOME: home } });
    child.stdout.destroy(); // the reader is gone before bam writes
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});

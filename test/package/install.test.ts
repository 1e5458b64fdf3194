import { describe, expect, it } from 'vitest';
import { npmFailureSummary, npmInstallArgs } from '../../src/package/install.js';

// npm 10's own output for the usual failures (debug-log lines included).
const LOG = 'npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log';

describe('npmFailureSummary', () => {
  it.each([
    [
      'a package that does not exist (a typo in an import)',
      ['npm error code E404', 'npm error 404 Not Found - GET https://registry.npmjs.org/lefft-pad - Not found', 'npm error 404', LOG],
      'Not Found - GET https://registry.npmjs.org/lefft-pad - Not found',
    ],
    [
      'a version that does not exist',
      ['npm error code ETARGET', 'npm error notarget No matching version found for left-pad@99.0.0.', 'npm error notarget In most cases you or one of your dependencies are requesting', LOG],
      'No matching version found for left-pad@99.0.0',
    ],
    [
      'a file: path that does not exist',
      [
        'npm error code ENOENT',
        'npm error syscall open',
        'npm error path /w/nowhere/package.json',
        'npm error errno -2',
        "npm error enoent Could not read package.json: Error: ENOENT: no such file or directory, open '/w/nowhere/package.json'",
        LOG,
      ],
      "Could not read package.json: Error: ENOENT: no such file or directory, open '/w/nowhere/package.json'",
    ],
    ['npm 6 style', ['npm ERR! code E404', 'npm ERR! 404 Not Found - GET https://registry.npmjs.org/x'], 'Not Found - GET https://registry.npmjs.org/x'],
    ['no npm error line at all', ['Killed'], 'exit code 137'],
  ])('%s', (_what, lines, summary) => {
    expect(npmFailureSummary(lines.join('\n'), 137)).toBe(summary);
  });
});

describe('npmInstallArgs', () => {
  it('installs for Lambda (Linux, glibc, the function\'s architecture), copies file: packages, and runs no scripts unless allowed', () => {
    const args = npmInstallArgs('/cache/x', { installScripts: false, cpu: 'arm64' });
    expect(args).toEqual(expect.arrayContaining(['install', '--os=linux', '--cpu=arm64', '--libc=glibc', '--install-links', '--ignore-scripts']));
    expect(args.slice(-2)).toEqual(['--prefix', '/cache/x']);
    expect(npmInstallArgs('/cache/x', { installScripts: true, cpu: 'x64' })).not.toContain('--ignore-scripts');
    expect(npmInstallArgs('/cache/x', { installScripts: true, cpu: 'x64' })).toContain('--cpu=x64');
  });
});

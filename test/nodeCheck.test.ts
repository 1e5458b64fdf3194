import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdkNeedsNewerNode } from '../src/cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sdk = (node: string, name = '@aws-sdk/client-lambda') => ({ name, version: '3.2000.0', engines: { node } });

describe('the Node check against the installed AWS SDK', () => {
  it('passes when Node meets every SDK package, or when a package states no usable range', () => {
    expect(sdkNeedsNewerNode([sdk('>=20.0.0'), sdk('>=18', '@aws-sdk/client-sts')], '20.20.2')).toBeUndefined();
    expect(sdkNeedsNewerNode([sdk('>=22.0.0')], '22.0.0')).toBeUndefined();
    expect(sdkNeedsNewerNode([sdk('^22 || >=24')], '20.20.2')).toBeUndefined();
    expect(sdkNeedsNewerNode([], '20.20.2')).toBeUndefined();
  });

  it('names the strictest package and the Node it needs, in one line', () => {
    const message = sdkNeedsNewerNode([sdk('>=20.0.0', '@aws-sdk/client-sts'), sdk('>=22.0.0')], '20.20.2');
    expect(message).toBe('bam needs Node 22 or later with this AWS SDK (you have 20.20.2): @aws-sdk/client-lambda 3.2000.0 requires node >=22.0.0. Install Node 22 or 24.');
    expect(sdkNeedsNewerNode([sdk('>=22.12')], '22.11.0')).toMatch(/^bam needs Node 22\.12 or later/);
  });

  describe('the built CLI, beside an SDK that needs a Node from the future', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bam-nodecheck-'));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));
    // A copy of the install: bam's package.json and dist/, its real commander, a fake SDK.
    cpSync(join(root, 'package.json'), join(folder, 'package.json'));
    cpSync(join(root, 'dist'), join(folder, 'dist'), { recursive: true });
    cpSync(join(root, 'bin'), join(folder, 'bin'), { recursive: true });
    mkdirSync(join(folder, 'node_modules/@aws-sdk/client-lambda'), { recursive: true });
    symlinkSync(join(root, 'node_modules/commander'), join(folder, 'node_modules/commander'));
    writeFileSync(join(folder, 'node_modules/@aws-sdk/client-lambda/package.json'), JSON.stringify(sdk('>=99.0.0')));
    const bam = (...args: string[]) => spawnSync(process.execPath, [join(folder, 'bin/bam.js'), ...args], { encoding: 'utf8', cwd: folder, env: { ...process.env, BAM_HOME: join(folder, 'home') } });

    it('stops a command with that one line (exit 1)', () => {
      const run = bam('create', 'hello');
      expect([run.status, run.stderr]).toEqual([1, `bam needs Node 99 or later with this AWS SDK (you have ${process.versions.node}): @aws-sdk/client-lambda 3.2000.0 requires node >=99.0.0. Install Node 22 or 24.\n`]);
    });

    it('still answers --help and --version', () => {
      expect(bam('--help').status).toBe(0);
      expect(bam('help', 'create').status).toBe(0);
      expect(bam('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    });
  });
});

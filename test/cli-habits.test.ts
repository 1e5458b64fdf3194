import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreateFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { deployHello, runBam, setScene, type Scene } from './aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene();
});
afterEach(async () => {
  await scene.cleanup();
});

const bam = async (...args: string[]) => {
  const run = await runBam(scene.world, ...args);
  return { ...run, stdout: stripVTControlCharacters(run.stdout), stderr: stripVTControlCharacters(run.stderr) };
};

describe('bam help, as BAM! users type it', () => {
  it('bam man is bam help: the commands on stdout, exit 0', async () => {
    const help = await bam('help');
    const man = await bam('man');
    expect(man.code).toBe(0);
    expect(man.stdout).toContain('Usage: bam [options] [command]');
    expect(man.stdout).toBe(help.stdout);
    expect(man.stderr).toBe('');
  });

  it('bam help --deploy is bam help deploy; several commands print one after the other', async () => {
    const flag = await bam('help', '--deploy');
    expect(flag.code).toBe(0);
    expect(flag.stdout).toContain('Usage: bam deploy [options] <name>');
    expect(flag.stdout).toBe((await bam('help', 'deploy')).stdout);
    const two = await bam('help', '--list', '--get');
    expect(two.stdout).toMatch(/Usage: bam list[\s\S]*Usage: bam get/);
  });

  it('bam help --all prints the overview and then every command', async () => {
    const all = await bam('help', '--all');
    expect(all.code).toBe(0);
    const usages = all.stdout.match(/^Usage: bam \S*/gm) ?? [];
    expect(usages[0]).toBe('Usage: bam [options]');
    for (const command of ['config', 'create', 'dbtable', 'delete', 'deploy', 'get', 'list', 'logs', 'redeploy', 'version']) {
      expect(usages).toContain(`Usage: bam ${command}`);
    }
  });

  it('bam help bogus is an unknown command (exit 2) with a did-you-mean, nothing on stdout', async () => {
    const bogus = await bam('help', 'bogus');
    expect(bogus.code).toBe(2);
    expect(bogus.stdout).toBe('');
    expect(bogus.stderr).toContain("unknown command 'bogus'");
    const typo = await bam('help', 'delpoy');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'delpoy'");
    expect(typo.stderr).toContain('Did you mean deploy?');
    expect((await bam('man', '--bogus')).code).toBe(2);
  });

  it('documents KEY= (remove a variable) for redeploy, where it applies, and not for deploy', async () => {
    const redeploy = await bam('help', 'redeploy');
    expect(redeploy.stdout.replace(/\s+/g, ' ')).toContain('KEY= (no value) removes KEY');
    const deploy = await bam('help', 'deploy');
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain('--env <KEY=VALUE>');
    expect(deploy.stdout).not.toContain('removes KEY');
  });
});

describe('BAM! flag spellings', () => {
  it('deploy --lambda is --lambdaOnly: a function without an endpoint', async () => {
    const run = await bam('deploy', 'hello', '--lambda');
    expect(run.code, run.stderr).toBe(0);
    expect(scene.aws.functions.has('hello')).toBe(true);
    expect(scene.aws.apis.size).toBe(0);
  });

  it('--runtimes is --runtime, on deploy and redeploy', async () => {
    const deployed = await bam('deploy', 'hello', '--runtimes', 'nodejs22.x', '--lambdaOnly');
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(scene.aws.inputs(CreateFunctionCommand)[0]?.Runtime).toBe('nodejs22.x');
    const redeployed = await bam('redeploy', 'hello', '--runtimes', 'nodejs24.x');
    expect(redeployed.code, redeployed.stderr).toBe(0);
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand).map((input) => input.Runtime)).toContain('nodejs24.x');
  });
});

describe('method lists', () => {
  it('--methods get,,post is a usage error naming the empty entry; nothing is created', async () => {
    const run = await bam('deploy', 'hello', '--methods', 'get,,post');
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('Error: --methods get,,post: entry 2 is empty. List the methods as GET,POST or get post.');
    expect(scene.aws.calls).toEqual([]);
  });

  it('a comma at the end of a word is fine: --methods get, post', async () => {
    const run = await bam('deploy', 'hello', '--methods', 'get,', 'post');
    expect(run.code, run.stderr).toBe(0);
    expect(scene.aws.functions.has('hello')).toBe(true);
  });

  it('redeploy --methods post --rmMethods post is a usage error (exit 2)', async () => {
    await deployHello(scene);
    const run = await bam('redeploy', 'hello', '--methods', 'post', '--rmMethods', 'post');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('POST is both added (--methods) and removed (--rmMethods)');
  });

  it('lists the runtimes newest first in its messages', async () => {
    const run = await bam('deploy', 'hello', '--runtime', 'node99');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Use one of nodejs24.x, nodejs22.x');
  });
});

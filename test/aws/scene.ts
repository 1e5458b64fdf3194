import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { ACCOUNT, FakeAws, REGION } from './fakeAws.js';
import { DEFAULT_ROLE, type LambdaRecord } from '../../src/core/records.js';
import { main } from '../../src/cli.js';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';

export const HELLO = `// description: Says hello
exports.handler = async () => ({ statusCode: 200, body: 'hello' });
`;

export interface Scene {
  world: TestWorld;
  aws: FakeAws;
  /** The delays bamBam would have slept. */
  delays: number[];
  cleanup: () => Promise<void>;
}

/**
 * A fresh .bam home and folder holding hello.js (no dependencies, so packaging is quick), an
 * AWS with bam's default role, and the account and role known (cached) as after a first deploy.
 */
export async function setScene(options: { roleKnown?: boolean } = {}): Promise<Scene> {
  const world = await makeWorld({ region: REGION });
  const aws = new FakeAws();
  aws.roles.set(DEFAULT_ROLE, { policies: [], inline: {} });
  await world.store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: options.roleKnown === false ? [] : [DEFAULT_ROLE] }));
  await writeFile(join(world.cwd, 'hello.js'), HELLO);
  return {
    world,
    aws,
    delays: world.delays,
    cleanup: async () => {
      aws.restore();
      await world.cleanup();
    },
  };
}

export async function records(scene: Scene): Promise<Record<string, LambdaRecord>> {
  return scene.world.store.lambdaRecords.inRegion(REGION);
}

/** The records list exactly what exists in AWS: the same functions, and each one's API. */
export async function expectRecordsMatchAws(scene: Scene): Promise<void> {
  const { aws } = scene;
  const recorded = await records(scene);
  expect(Object.keys(recorded).sort()).toEqual([...aws.functions.keys()].sort());
  const recordedApis = Object.values(recorded).flatMap((record) => (record.api ? [record.api.restApiId] : []));
  expect(recordedApis.sort()).toEqual([...aws.apis.keys()].sort());
}

/** Runs the bam CLI in-process (the mocked clients apply); returns exit code and output. */
export async function runBam(world: TestWorld, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(['node', 'bam', ...args, '--region', REGION], { stdout, stderr, cwd: world.cwd, stdin: new PassThrough(), home: world.home, policy: world.policy });
  return { code, stdout: out, stderr: err };
}

/** A deployed hello (GET by default), then a clean call log and reporter, for the step under test. */
export async function deployHello(scene: Scene, options: DeployOptions = {}): Promise<void> {
  await deploy('hello', options, scene.world.ctx);
  scene.aws.resetCalls();
  scene.world.reporter.events.length = 0;
}

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCOUNT, HttpFakeAws, REGION } from '../aws/httpFakeAws.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { describeRun, killLeftoverBams, runBam, startBam, type BamRun } from '../helpers/bamProcess.js';
import { DEFAULT_ROLE, type LambdaRecord } from '../../src/core/records.js';

/*
 * deploy-kill.test.ts for `bam deploy hello --url`: the built CLI, SIGKILLed when AWS has received
 * request k (its answer is lost) or once answer k is sent, then the command a user runs next
 * (deploy --url again; redeploy when deploy refuses and says so). Every trial must end with one
 * function, its public URL (both statements, with their conditions), and records saying exactly that.
 */

const HELLO = `// description: Says hello
exports.handler = async () => ({ statusCode: 200, body: 'hello' });
`;
const CHILD_TIMEOUT_MS = 20_000;
const DEPLOY = ['deploy', 'hello', '--url', '--region', REGION];

const aws = await HttpFakeAws.start();
const cleanNames = await cleanDeploy();
const boundaries = cleanNames.flatMap((name, i) => {
  const occurrence = cleanNames.slice(0, i + 1).filter((n) => n === name).length;
  return (['received', 'answered'] as const).map((phase) => ({ phase, k: i + 1, name, occurrence }));
});
let world: TestWorld | undefined;

afterEach(async () => {
  killLeftoverBams();
  aws.onRequest = undefined;
  aws.onAnswered = undefined;
  await world?.cleanup();
  world = undefined;
});

afterAll(async () => {
  await aws.close();
});

describe('bam deploy --url SIGKILLed at an AWS request boundary, then the next command: one public URL, recorded', () => {
  for (const boundary of boundaries) {
    const which = `${boundary.name}${boundary.occurrence > 1 ? ` #${boundary.occurrence}` : ''} (request ${boundary.k} of a clean deploy --url)`;
    it(`converges when killed after ${boundary.phase === 'received' ? `${which} is received` : `the answer to ${which} is sent`}`, async () => {
      world = await freshWorld();
      const options = { cwd: world.cwd, home: world.home, endpoint: aws.url, timeoutMs: CHILD_TIMEOUT_MS };
      const killed = startBam(DEPLOY, options);
      let reached = false;
      let seen = 0;
      const kill = async (_k: number, name: string): Promise<void> => {
        if (reached || name !== boundary.name || ++seen !== boundary.occurrence) return;
        reached = true;
        killed.child.kill('SIGKILL');
        await killed.done;
      };
      if (boundary.phase === 'received') aws.onRequest = kill;
      else aws.onAnswered = kill;
      const killedRun = await killed.done;
      aws.onRequest = undefined;
      aws.onAnswered = undefined;
      await aws.settled();

      let next = await runBam(DEPLOY, options);
      if (next.code !== 0 && /\bexists\b/.test(next.stderr) && /bam redeploy hello\b/.test(next.stderr)) {
        next = await runBam(['redeploy', 'hello', '--region', REGION], options);
      }
      await aws.settled();
      const problems = [
        ...(reached ? [] : ['the boundary was never reached']),
        ...(next.code === 0 ? [] : [`the next command failed: ${describeRun(next)}`]),
        ...urlProblems(await world.store.lambdaRecords.inRegion(REGION)),
      ];
      expect(problems, `${describeRun(killedRun)}\nAWS: ${JSON.stringify(aws.snapshot(), null, 2)}`).toEqual([]);
    }, 60_000);
  }
});

/** What keeps AWS and the records from being one function with one public URL, recorded. */
function urlProblems(recorded: Record<string, LambdaRecord>): string[] {
  const problems: string[] = [];
  if ([...aws.functions.keys()].join() !== 'hello') problems.push(`AWS has functions [${[...aws.functions.keys()].join(', ')}]`);
  if (aws.apis.size > 0) problems.push(`AWS has ${aws.apis.size} REST APIs; --url makes none`);
  const fn = aws.functions.get('hello');
  if (!fn?.url) problems.push('the function has no URL');
  else if (fn.url.AuthType !== 'NONE') problems.push(`the URL's AuthType is ${fn.url.AuthType}`);
  const statements = fn?.permissions ?? {};
  if (JSON.stringify(statements['bam-function-url']) !== JSON.stringify({ principal: '*', action: 'lambda:InvokeFunctionUrl', functionUrlAuthType: 'NONE' })) {
    problems.push(`statement bam-function-url is ${JSON.stringify(statements['bam-function-url'])}`);
  }
  if (JSON.stringify(statements['bam-function-url-invoke']) !== JSON.stringify({ principal: '*', action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true })) {
    problems.push(`statement bam-function-url-invoke is ${JSON.stringify(statements['bam-function-url-invoke'])}`);
  }
  if (Object.keys(statements).length !== 2) problems.push(`the function has statements [${Object.keys(statements).join(', ')}]`);
  if (Object.keys(recorded).join() !== 'hello') problems.push(`the records list [${Object.keys(recorded).join(', ')}]`);
  const record = recorded.hello;
  if (record && record.url?.url !== fn?.url?.FunctionUrl) problems.push(`the record's URL is ${record.url?.url ?? 'none'}, AWS's ${fn?.url?.FunctionUrl ?? 'none'}`);
  if (record?.pendingUrl) problems.push('the record still owes a URL');
  if (record?.api || record?.pendingApi) problems.push('the record has a REST API');
  return problems;
}

async function freshWorld(): Promise<TestWorld> {
  aws.reset();
  const fresh = await makeWorld({ region: REGION });
  await fresh.store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: [DEFAULT_ROLE] }));
  await writeFile(join(fresh.cwd, 'hello.js'), HELLO);
  return fresh;
}

async function cleanDeploy(): Promise<string[]> {
  const fresh = await freshWorld();
  try {
    const run: BamRun = await runBam(DEPLOY, { cwd: fresh.cwd, home: fresh.home, endpoint: aws.url, timeoutMs: CHILD_TIMEOUT_MS });
    await aws.settled();
    const problems = run.code === 0 ? urlProblems(await fresh.store.lambdaRecords.inRegion(REGION)) : [describeRun(run)];
    if (problems.length > 0) throw new Error(`A clean deploy --url must converge first (is dist/ built?): ${problems.join('; ')}`);
    return aws.names();
  } finally {
    await fresh.cleanup();
  }
}

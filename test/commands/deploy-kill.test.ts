import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCOUNT, HttpFakeAws, REGION } from '../aws/httpFakeAws.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { describeRun, killLeftoverBams, runBam, startBam, type BamRun } from '../helpers/bamProcess.js';
import { convergenceProblems } from '../helpers/converged.js';
import { DEFAULT_ROLE, type LambdaRecord } from '../../src/core/records.js';

/*
 * Issue 13, "records equal AWS after any kill": a real `bam deploy hello` (the built CLI, a child
 * process) against the HTTP fake AWS, SIGKILLed at one AWS request boundary, then the command a
 * user runs next: `bam deploy hello` again, or `bam redeploy hello` when deploy refuses because
 * the function exists. Every trial must end converged: one function, one API that invokes it,
 * deployed to stage bam, the invoke permission, and records listing exactly those (deployed).
 *
 * Boundaries, for every request k a clean deploy makes (known by its operation, since the
 * requests bam sends side by side may reach AWS in either order):
 * - "received": request k has fully reached AWS and AWS acts on it, but its answer is lost
 *   (the child dies first);
 * - "answered": answer k has been written and flushed, and the child dies before it can act on it.
 * Requests the child had already sent when it died are still served, as AWS would.
 *
 * dist/ must be built first: npx tsc -p tsconfig.json
 */

const HELLO = `// description: Says hello
exports.handler = async () => ({ statusCode: 200, body: 'hello' });
`;

const CHILD_TIMEOUT_MS = 20_000;

type Phase = 'received' | 'answered';

interface Boundary {
  phase: Phase;
  /** Request k of the clean run… */
  k: number;
  /** …is this operation's `occurrence`-th request. Concurrent requests may arrive in either order, so a trial kills at the operation, not at the number. */
  name: string;
  occurrence: number;
}

/** One trial's outcome, for the matrix printed at the end. */
interface Outcome {
  boundary: string;
  /** The number of the request the child was killed at in this trial (concurrent requests may arrive in either order). */
  killedAt: string;
  afterKill: string;
  next: string;
  verdict: string;
}

const aws = await HttpFakeAws.start();
const clean = await cleanDeploy();
const boundaries: Boundary[] = clean.names.flatMap((name, i): Boundary[] => {
  const occurrence = clean.names.slice(0, i + 1).filter((n) => n === name).length;
  return [
    { phase: 'received', k: i + 1, name, occurrence },
    { phase: 'answered', k: i + 1, name, occurrence },
  ];
});
const matrix: Outcome[] = [];
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
  console.log(`\nKill matrix (clean deploy: ${clean.names.map((name, i) => `${i + 1} ${name}`).join(', ')})\n${table(matrix)}`);
});

describe('bam deploy SIGKILLed at an AWS request boundary, then the next command: records equal AWS', () => {
  for (const boundary of boundaries) {
    const which = `${boundary.name}${boundary.occurrence > 1 ? ` #${boundary.occurrence}` : ''} (request ${boundary.k} of a clean deploy)`;
    const label = boundary.phase === 'received' ? `${which} is received` : `the answer to ${which} is sent`;
    it(`converges when deploy is killed after ${label}, then deploy (or redeploy, when deploy refuses) runs`, async () => {
      world = await freshWorld();
      const options = { cwd: world.cwd, home: world.home, endpoint: aws.url, timeoutMs: CHILD_TIMEOUT_MS };

      const killed = startBam(['deploy', 'hello', '--region', REGION], options);
      let killedAt: string | undefined;
      let seen = 0;
      const kill = async (k: number, name: string): Promise<void> => {
        if (killedAt || name !== boundary.name) return;
        seen += 1;
        if (seen !== boundary.occurrence) return;
        killedAt = `request ${k}`;
        killed.child.kill('SIGKILL');
        await killed.done;
      };
      if (boundary.phase === 'received') aws.onRequest = kill;
      else aws.onAnswered = kill;
      const killedRun = await killed.done;
      aws.onRequest = undefined;
      aws.onAnswered = undefined;
      await aws.settled();
      const afterKill = { aws: aws.snapshot(), records: await readRecords(world) };

      // The command a user runs next: deploy again; redeploy when deploy refuses because the
      // function exists and points there ("already exists …", "exists but its endpoint is not finished …").
      let next = await runBam(['deploy', 'hello', '--region', REGION], options);
      let command = 'deploy';
      if (next.code !== 0 && /\bexists\b/.test(next.stderr) && /bam redeploy hello\b/.test(next.stderr)) {
        const refused = next;
        next = await runBam(['redeploy', 'hello', '--region', REGION], options);
        command = `redeploy (deploy refused: ${firstLine(refused.stderr)})`;
      }
      await aws.settled();
      const recorded = await readRecords(world);

      const problems = [
        ...(killedAt ? [] : [`the boundary was never reached: the first deploy ended on its own (${describeEnd(killedRun)})`]),
        ...(next.code === 0 ? [] : [`bam ${command.split(' ')[0]} hello ended with ${describeEnd(next)}: ${firstLine(next.stderr)}`]),
        ...(typeof recorded === 'string' ? [recorded] : convergenceProblems(aws, recorded, 'hello', { codeSha256: clean.codeSha256 })),
      ];
      matrix.push({
        boundary: `${boundary.phase} ${boundary.name}${boundary.occurrence > 1 ? ` #${boundary.occurrence}` : ''}`,
        killedAt: killedAt ?? '(not reached)',
        afterKill: summary(afterKill.aws, afterKill.records),
        next: `${command} → ${describeEnd(next)}`,
        verdict: problems.length === 0 ? 'converged' : problems.join('; '),
      });
      expect(
        problems,
        [
          `Killed after ${label} (in this run: ${killedAt ?? 'not reached'}); next command: bam ${command}`,
          describeRun(killedRun),
          `AWS after the kill: ${JSON.stringify(afterKill.aws, null, 2)}`,
          `records after the kill: ${JSON.stringify(afterKill.records, null, 2)}`,
          describeRun(next),
          `AWS at the end: ${JSON.stringify(aws.snapshot(), null, 2)}`,
          `records at the end: ${JSON.stringify(recorded, null, 2)}`,
        ].join('\n'),
      ).toEqual([]);
    }, 60_000);
  }
});

/** A fresh AWS, BAM_HOME and folder holding hello.js; the account and bam's role known, as after a first deploy. */
async function freshWorld(): Promise<TestWorld> {
  aws.reset();
  const fresh = await makeWorld({ region: REGION });
  await fresh.store.updateConfig((config) => ({ ...config, accountNumber: ACCOUNT, knownRoles: [DEFAULT_ROLE] }));
  await writeFile(join(fresh.cwd, 'hello.js'), HELLO);
  return fresh;
}

/** A deploy nobody kills: the requests it makes (the boundaries to try) and the code AWS ends up with. */
async function cleanDeploy(): Promise<{ names: string[]; codeSha256: string }> {
  const fresh = await freshWorld();
  try {
    const run = await runBam(['deploy', 'hello', '--region', REGION], { cwd: fresh.cwd, home: fresh.home, endpoint: aws.url, timeoutMs: CHILD_TIMEOUT_MS });
    await aws.settled();
    const recorded = await readRecords(fresh);
    const problems = run.code === 0 ? (typeof recorded === 'string' ? [recorded] : convergenceProblems(aws, recorded, 'hello')) : [`exit ${describeEnd(run)}`];
    if (problems.length > 0) {
      throw new Error(`A clean deploy must converge before kills can be judged (is dist/ built?): ${problems.join('; ')}\n${describeRun(run)}`);
    }
    return { names: aws.names(), codeSha256: aws.functions.get('hello')!.codeSha256 };
  } finally {
    await fresh.cleanup();
  }
}

/** The records of the region, or what is wrong with the file. */
async function readRecords(world: TestWorld): Promise<Record<string, LambdaRecord> | string> {
  try {
    return await world.store.lambdaRecords.inRegion(REGION);
  } catch (err) {
    return `the records cannot be read: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function summary(state: object, records: Record<string, LambdaRecord> | string): string {
  const { functions, apis, requests } = state as {
    functions: { name: string; permissions: object }[];
    apis: { id: string; stages: Record<string, number> }[];
    requests: string[];
  };
  const fns = functions.map((fn) => `${fn.name}${Object.keys(fn.permissions).length > 0 ? '+perm' : ''}`);
  const api = apis.map((a) => `${a.id}${a.stages.bam !== undefined ? '@bam' : ''}`);
  const recorded =
    typeof records === 'string'
      ? 'unreadable'
      : Object.entries(records).map(([name, r]) => `${name}${r.api ? `(${r.api.restApiId}${r.api.deployed ? ' deployed' : ''})` : ''}`);
  return `${requests.length} served, fn [${fns.join(' ')}] api [${api.join(' ')}] rec [${Array.isArray(recorded) ? recorded.join(' ') : recorded}]`;
}

function describeEnd(run: BamRun): string {
  return run.timedOut ? 'timed out' : run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function table(rows: Outcome[]): string {
  return rows.map((row) => `- ${row.boundary} [killed at ${row.killedAt}]: after kill ${row.afterKill}; next ${row.next}: ${row.verdict}`).join('\n');
}

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { redeployAndWatch, type RedeployOptions } from '../../src/commands/redeploy.js';
import { deploy, type DeployOptions } from '../../src/commands/deploy.js';
import { packageFunction } from '../../src/package/index.js';
import { awsError } from '../aws/fakeAws.js';
import { HELLO, expectRecordsMatchAws, records, deployHello, runBam, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
let stop: AbortController;
let watching: Promise<void> | undefined;
beforeEach(async () => {
  scene = await setScene();
  stop = new AbortController();
  watching = undefined;
});
afterEach(async () => {
  stop.abort();
  await watching;
  await scene.cleanup();
});

const version = (n: number) => HELLO.replace("'hello'", `'hello ${n}'`);
const save = (text: string, file = 'hello.js') => writeFile(join(scene.world.cwd, file), text);
const said = (type: string, part: string) => scene.world.reporter.next((event) => event.type === type && event.text.includes(part));
const codeUpdates = () => scene.aws.names().filter((name) => name === 'UpdateFunctionCode').length;

/** hello deployed, then `bam redeploy hello --watch` running, its first (unchanged) redeploy done and the calls forgotten. */
async function watch(names = ['hello'], options: RedeployOptions = {}, deployed: DeployOptions = {}): Promise<void> {
  await deployHello(scene, deployed);
  const ready = said('info', 'Watching');
  watching = redeployAndWatch(names, options, scene.world.ctx, stop.signal);
  await ready;
  scene.aws.resetCalls();
}

/** What the code in the folder packages to now. */
const builtSha = async (name = 'hello') => (await packageFunction(name, { cwd: scene.world.cwd, store: scene.world.store })).codeSha256;

describe('bam redeploy --watch', () => {
  it('redeploys once, then a save sends exactly one UpdateFunctionCode and one wait, and records the new code', async () => {
    await deployHello(scene);
    const ready = said('info', 'Watching');
    watching = redeployAndWatch(['hello'], {}, scene.world.ctx, stop.signal);
    await ready;
    // The normal redeploy first: unchanged code, so only its reads.
    expect(scene.aws.names().sort()).toEqual(['GetFunction', 'GetRestApi']);
    scene.aws.resetCalls();

    const live = said('succeed', 'live in');
    await save(version(1));
    const line = await live;
    // No GetFunction before the update: bam trusts what it last saw. The GetFunction after it is the wait.
    expect(scene.aws.names()).toEqual(['UpdateFunctionCode', 'GetFunction']);
    expect(scene.aws.inputs(UpdateFunctionCodeCommand)[0]!.FunctionName).toBe('hello');
    expect(line.text).toMatch(/^"hello": hello\.js live in \d+ ms → https:\/\/api1\.execute-api\.us-east-1\.amazonaws\.com\/bam$/);
    const fn = scene.aws.functions.get('hello')!;
    expect(fn.codeSha256).toBe(await builtSha());
    expect((await records(scene)).hello!.codeSha256).toBe(fn.codeSha256);
    await expectRecordsMatchAws(scene);
  });

  it('a save that leaves the code as it was sends nothing', async () => {
    await watch();
    const unchanged = said('info', 'nothing sent');
    await save(HELLO);
    await unchanged;
    expect(scene.aws.names()).toEqual([]);
  });

  it("ignores editors' temporary files: only the real file's save counts", async () => {
    await watch();
    const live = said('succeed', 'live in');
    await save('swap', '.hello.js.swp');
    await save('backup', 'hello.js~');
    await save('test', '4913');
    await save(version(1));
    expect((await live).text).toMatch(/^"hello": hello\.js live/);
    expect(scene.world.reporter.text('info')).not.toContain('nothing sent');
    expect(codeUpdates()).toBe(1);
  });

  it('saves made while an update is under way go out right after it, as one update with the newest code', async () => {
    await watch();
    const held = scene.aws.hold('UpdateFunctionCode');
    await save(version(1));
    await held.started;
    await save(version(2));
    await save(version(3));
    // The second batch is waiting once its files settled; it cannot start before the update ends.
    const second = said('succeed', 'live in');
    held.release();
    await second;
    const last = said('succeed', 'live in');
    await last;
    expect(codeUpdates()).toBe(2);
    const names = scene.aws.names();
    // Never two updates in flight: the second starts after the first one's wait.
    expect(names).toEqual(['UpdateFunctionCode', 'GetFunction', 'UpdateFunctionCode', 'GetFunction']);
    // The second goes with the RevisionId the first one's wait saw, and Lambda takes it.
    expect(scene.aws.inputs(UpdateFunctionCodeCommand)[1]!.RevisionId).toBe(`revision-${scene.aws.functions.get('hello')!.revision! - 2}`);
    expect(scene.world.reporter.text('warn')).toBe('');
    expect(scene.aws.functions.get('hello')!.codeSha256).toBe(await builtSha());
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
  });

  it('a build error sends nothing and says file:line:column; the next good save goes out', async () => {
    await watch();
    const failed = said('fail', 'Nothing sent');
    await save('exports.handler = async () => {\n');
    expect((await failed).text).toMatch(/^"hello": hello\.js:2:\d+: /);
    expect(scene.aws.names()).toEqual([]);

    const live = said('succeed', 'live in');
    await save(version(2));
    await live;
    expect(scene.aws.writes()).toEqual(['UpdateFunctionCode']);
  });

  it('an AWS error is one line, the watch goes on, and the next save sends the code again', async () => {
    await watch();
    scene.aws.fail('UpdateFunctionCode', () => awsError('AccessDeniedException', 'not authorized to perform lambda:UpdateFunctionCode'));
    const failed = said('fail', 'Sent again on your next save');
    await save(version(1));
    expect((await failed).text).toContain('UpdateFunctionCode failed');
    await expectRecordsMatchAws(scene);
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);

    const live = said('succeed', 'live in');
    await save(version(1));
    await live;
    expect(codeUpdates()).toBe(2);
    expect(scene.aws.functions.get('hello')!.codeSha256).toBe(await builtSha());
  });

  it('waits out a ResourceConflictException (an update still under way)', async () => {
    await watch();
    scene.aws.fail('UpdateFunctionCode', () => awsError('ResourceConflictException', 'An update is in progress for resource: hello'), 2);
    const live = said('succeed', 'live in');
    await save(version(1));
    await live;
    expect(codeUpdates()).toBe(3);
    expect(scene.delays).toHaveLength(2);
    expect(scene.world.reporter.text('fail')).toBe('');
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
  });

  it('Ctrl-C during an update lets it finish: the watch ends with the records equal to AWS', async () => {
    await watch();
    const held = scene.aws.hold('UpdateFunctionCode');
    await save(version(1));
    await held.started;
    stop.abort();
    held.release();
    await watching;
    expect(scene.aws.names()).toEqual(['UpdateFunctionCode', 'GetFunction']);
    expect(scene.world.reporter.text('succeed')).toMatch(/hello\.js live in/);
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
    await expectRecordsMatchAws(scene);
  });

  it('code changed outside bam between two saves: Lambda refuses the stale RevisionId, bam says so in one line and sends the saved code over it', async () => {
    await watch();
    let live = said('succeed', 'live in');
    await save(version(1));
    await live;
    // Someone else's update since bam's last one (the console's code editor, say).
    const fn = scene.aws.functions.get('hello')!;
    fn.codeSha256 = 'changed-elsewhere';
    fn.revision = fn.revision! + 2;
    scene.aws.resetCalls();
    live = said('succeed', 'live in');
    await save(version(2));
    await live;
    expect(scene.aws.inputs(UpdateFunctionCodeCommand).map((input) => input.RevisionId !== undefined)).toEqual([true, false]);
    expect(scene.world.reporter.text('warn')).toContain(`"hello" was updated outside bam since bam's last update; sending your saved code over it.`);
    expect(fn.codeSha256).toBe(await builtSha());
    expect((await records(scene)).hello!.codeSha256).toBe(fn.codeSha256);
  });

  it('a new description is applied as redeploy applies it (the configuration, once the code is in)', async () => {
    await watch();
    const live = said('succeed', 'live in');
    await save(version(1).replace('Says hello', 'Says hello twice'));
    await live;
    expect(scene.aws.inputs(UpdateFunctionConfigurationCommand)).toEqual([{ FunctionName: 'hello', Description: 'Says hello twice' }]);
    expect(scene.aws.functions.get('hello')!.description).toBe('Says hello twice');
    expect((await records(scene)).hello).toMatchObject({ description: 'Says hello twice', codeSha256: scene.aws.functions.get('hello')!.codeSha256 });
  });

  it('code that starts streaming on a function URL goes through redeploy: the URL switches to RESPONSE_STREAM, and the line names the URL', async () => {
    await watch(['hello'], {}, { url: true });
    const live = said('succeed', 'live in');
    await save(`// description: Says hello\nexports.handler = awslambda.streamifyResponse(async (event, stream) => { stream.end('hi'); });\n`);
    const line = await live;
    expect(scene.world.reporter.text('info')).toContain("changed its function URL's invoke mode");
    expect(scene.aws.functions.get('hello')!.url!.InvokeMode).toBe('RESPONSE_STREAM');
    expect((await records(scene)).hello!.url).toMatchObject({ invokeMode: 'RESPONSE_STREAM' });
    expect(line.text).toContain(`→ ${(await records(scene)).hello!.url!.url}`);
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
  });

  it('a change made outside bam (here: the memory) is recorded from the update answer, in one line', async () => {
    await watch();
    scene.aws.functions.get('hello')!.memory = 512;
    const live = said('succeed', 'live in');
    await save(version(1));
    await live;
    expect(scene.world.reporter.text('warn')).toContain('"hello" was changed outside bam (memory)');
    expect((await records(scene)).hello!.memory).toBe(512);
  });

  it('watches several functions at once, each its own', async () => {
    await mkdir(join(scene.world.cwd, 'bye'));
    await writeFile(join(scene.world.cwd, 'bye', 'index.js'), HELLO.replace("'hello'", "'bye'"));
    await deploy('bye', {}, scene.world.ctx);
    await watch(['hello', 'bye']);
    const live = said('succeed', 'live in');
    await writeFile(join(scene.world.cwd, 'bye', 'util.js'), 'module.exports = 1;\n');
    expect((await live).text).toMatch(/^"bye": bye\/util\.js live in/);
    expect(scene.aws.inputs(UpdateFunctionCodeCommand).map((input) => input.FunctionName)).toEqual(['bye']);
    expect(scene.aws.functions.get('bye')!.codeSha256).toBe(await builtSha('bye'));
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
  });

  it('watches what the bundle read outside the folder too (a tsconfig paths target): its save sends the new code', async () => {
    await writeFile(join(scene.world.cwd, 'tsconfig.json'), '{ "compilerOptions": { "paths": { "@shared/*": ["./shared/*"] } } }');
    await mkdir(join(scene.world.cwd, 'shared'));
    await writeFile(join(scene.world.cwd, 'shared', 'word.ts'), "export const word = 'one';\n");
    await mkdir(join(scene.world.cwd, 'fn'));
    await writeFile(join(scene.world.cwd, 'fn', 'index.ts'), "import { word } from '@shared/word';\nexport const handler = async () => ({ statusCode: 200, body: word });\n");
    await deploy('fn', {}, scene.world.ctx);
    await watch(['fn']);
    const live = said('succeed', 'live in');
    await writeFile(join(scene.world.cwd, 'shared', 'word.ts'), "export const word = 'two';\n");
    expect((await live).text).toMatch(/^"fn": .*word\.ts live in/);
    expect(scene.aws.inputs(UpdateFunctionCodeCommand).map((input) => input.FunctionName)).toEqual(['fn']);
    expect(scene.aws.functions.get('fn')!.codeSha256).toBe(await builtSha('fn'));
    await expectRecordsMatchAws(scene);
  });
});

describe('bam redeploy with several names', () => {
  it('is a usage error without --watch, before any AWS call', async () => {
    const run = await runBam(scene.world, 'redeploy', 'hello', 'bye');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bam redeploy takes one name (2 given); several only with --watch.');
    expect(scene.aws.names()).toEqual([]);
  });
});

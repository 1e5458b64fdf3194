import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { deploy } from '../../src/commands/deploy.js';
import { get } from '../../src/commands/get.js';
import { redeploy } from '../../src/commands/redeploy.js';
import { records, setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
let server: Server;
beforeEach(async () => {
  scene = await setScene();
  // Serves each fake function's current package, as Lambda's presigned code location does.
  server = createServer((req, res) => {
    const name = /^\/(.+)\.zip$/.exec(req.url ?? '')?.[1];
    const fn = name ? scene.aws.functions.get(name) : undefined;
    if (!fn) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/zip' }).end(Buffer.from(fn.zip));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scene.aws.codeBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await scene.cleanup();
});

describe('get, then redeploy (the seed\'s workflow on another machine)', () => {
  it('fetches a deployed function into ./NAME/ and redeploys it: unchanged code is not sent, an edit is', async () => {
    const { ctx, cwd } = scene.world;
    await deploy('hello', {}, ctx);
    await rm(join(cwd, 'hello.js')); // the code now lives only in AWS
    await get('hello', {}, ctx);
    // The deployed bundle: its description line and the handler, as esbuild prints it.
    const fetched = await readFile(join(cwd, 'hello', 'index.js'), 'utf8');
    expect(fetched).toBe('// description: Says hello\nexports.handler=async()=>({statusCode:200,body:"hello"});\n');

    scene.aws.resetCalls();
    await redeploy('hello', {}, ctx);
    expect(scene.aws.writes()).toEqual([]); // the fetched folder packs to the same CodeSha256

    const before = scene.aws.functions.get('hello')!.codeSha256;
    await writeFile(join(cwd, 'hello', 'index.js'), fetched.replace('"hello"', "'hello from the fetched copy'"));
    await redeploy('hello', {}, ctx);
    const sent = scene.aws.inputs(UpdateFunctionCodeCommand);
    expect(sent).toHaveLength(1);
    expect(scene.aws.functions.get('hello')!.codeSha256).not.toBe(before);
    expect((await records(scene)).hello!.codeSha256).toBe(scene.aws.functions.get('hello')!.codeSha256);
    expect((await records(scene)).hello!.sourcePath).toBe(join(cwd, 'hello'));
  });
});

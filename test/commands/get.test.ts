import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import archiver from 'archiver';
import { mockClient } from 'aws-sdk-client-mock';
import { GetFunctionCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { get } from '../../src/commands/get.js';
import { checkCodeLocation, downloadSettings, failureCause } from '../../src/get/download.js';
import { unsafeEntryReason, unzipSafely } from '../../src/get/safeUnzip.js';
import { packageFunction } from '../../src/package/index.js';
import { findSource } from '../../src/package/source.js';
import { BamError } from '../../src/core/errors.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { buildZip } from '../helpers/zip.js';
import { runBam } from '../aws/scene.js';

const lambdaMock = mockClient(LambdaClient);

/** What the local "S3" serves, by path; every request is logged. */
const served = new Map<string, Buffer>();
/** Paths answered by hand (endless bodies and the like). */
const handlers = new Map<string, (res: ServerResponse) => void>();
const requested: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const handler = handlers.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) return handler(res);
    const body = served.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) {
      res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let world: TestWorld;

beforeEach(async () => {
  world = await makeWorld();
  served.clear();
  handlers.clear();
  requested.length = 0;
});

const defaultDownloadSettings = { ...downloadSettings };
afterEach(async () => {
  Object.assign(downloadSettings, defaultDownloadSettings);
  lambdaMock.reset();
  await world.cleanup();
});

/** Serves the zip and makes GetFunction point at it with a presigned-looking URL. */
function publish(name: string, zip: Buffer, handler = 'index.handler'): void {
  served.set(`/code/${name}.zip`, zip);
  lambdaMock.on(GetFunctionCommand, { FunctionName: name }).resolves({
    Configuration: { FunctionName: name, Handler: handler, Runtime: 'nodejs22.x' },
    Code: { RepositoryType: 'S3', Location: `${base}/code/${name}.zip?X-Amz-Signature=abc&X-Amz-Expires=600` },
  });
}

/** A package another tool made (archiver, deflated): entry file, a dependency, a bin script as a plain file. */
async function realPackage(): Promise<Buffer> {
  const archive = archiver('zip', { zlib: { level: 9 } });
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  archive.append("const dep = require('dep');\nexports.handler = async () => ({ statusCode: 200, body: dep() });\n", { name: 'index.js', mode: 0o644 });
  archive.append('{"name":"hello","dependencies":{"dep":"1.0.0"}}\n', { name: 'package.json', mode: 0o644 });
  archive.append("module.exports = () => 'hi';\n", { name: 'node_modules/dep/index.js', mode: 0o644 });
  archive.append('#!/usr/bin/env node\n', { name: 'node_modules/.bin/dep', mode: 0o755 });
  await archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

const listCwd = () => readdir(world.cwd);

describe('bam get', () => {
  it('downloads the code from GetFunction\'s location and unpacks it into ./NAME/, ready for redeploy', async () => {
    publish('hello', await realPackage());
    await get('hello', {}, world.ctx);

    expect(lambdaMock.commandCalls(GetFunctionCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: 'hello' }]);
    expect(requested).toEqual(['/code/hello.zip?X-Amz-Signature=abc&X-Amz-Expires=600']);
    const dir = join(world.cwd, 'hello');
    expect(await readFile(join(dir, 'index.js'), 'utf8')).toContain("require('dep')");
    expect(await readFile(join(dir, 'node_modules/dep/index.js'), 'utf8')).toContain("'hi'");
    expect((await stat(join(dir, 'node_modules/.bin/dep'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, 'index.js'))).mode & 0o777).toBe(0o644);
    // Only the folder is left behind: no zip, no hidden work folder.
    expect(await listCwd()).toEqual(['hello']);
    // The "get + redeploy" workflow: deploy's source finder takes the folder as the function.
    const source = await findSource('hello', { cwd: world.cwd });
    expect(source).toMatchObject({ kind: 'dir', sourcePath: dir, entryName: 'index.js' });
    expect(world.reporter.text('succeed')).toContain('Folder: "hello" has been created (4 files)');
    expect(world.reporter.text('info')).toContain('bam redeploy hello');
  });

  const outside = `/bam-get-test-${randomUUID()}`;
  it.each([
    ['a ".." entry', '../evil', 'a ".." in its path'],
    ['a ".." entry deeper down', 'lib/../../evil', 'a ".." in its path'],
    ['a "../../.." entry', '../../../evil', 'a ".." in its path'],
    ['an absolute path', outside, 'an absolute path'],
    ['a drive letter', 'C:/evil', 'a drive letter'],
    ['a backslash trick', '..\\evil', 'a backslash in its path'],
  ])('rejects a zip with %s, writing nothing inside or outside ./NAME/', async (_what, badName, reason) => {
    // The good entry comes first: all entries are checked before the first byte is written.
    publish('hello', buildZip([{ name: 'index.js', data: 'exports.handler = 1;' }, { name: badName, data: 'pwned' }]));
    const err: unknown = await get('hello', {}, world.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    expect((err as Error).message).toMatch(/^Refused to unpack the code/);
    expect((err as Error).message).toContain(reason);
    expect(await listCwd()).toEqual([]);
    expect(existsSync(join(dirname(world.cwd), 'evil'))).toBe(false);
    expect(existsSync(outside)).toBe(false);
  });

  it('fetches what bam package --no-bundle made (npm\'s node_modules/.bin links included), and repackaging it gives the same CodeSha256', async () => {
    // A local dependency with a bin: npm links node_modules/.bin/tool to it, and the zip keeps the link.
    const saved = process.env.npm_config_registry;
    process.env.npm_config_registry = 'http://127.0.0.1:9'; // offline: the dependency is a file: package
    try {
      await mkdir(join(world.cwd, 'src', 'tool'), { recursive: true });
      await writeFile(join(world.cwd, 'src', 'tool', 'package.json'), JSON.stringify({ name: 'tool-local', version: '1.0.0', main: 'index.js', bin: { tool: 'cli.js' } }));
      await writeFile(join(world.cwd, 'src', 'tool', 'index.js'), "module.exports = () => 'tool';\n");
      await writeFile(join(world.cwd, 'src', 'tool', 'cli.js'), '#!/usr/bin/env node\n');
      await writeFile(join(world.cwd, 'src', 'package.json'), JSON.stringify({ dependencies: { 'tool-local': 'file:./tool' } }));
      await writeFile(join(world.cwd, 'src', 'hello.js'), "const tool = require('tool-local');\nexports.handler = async () => tool();\n");
      // --no-bundle: the layout with node_modules (a bundle has none to fetch).
      const deployed = await packageFunction('hello', { cwd: world.cwd, store: world.store, src: 'src/hello.js', bundle: false });
      publish('hello', await readFile(deployed.zipPath));

      await get('hello', {}, world.ctx);
      expect(await readFile(join(world.cwd, 'hello', 'node_modules', 'tool-local', 'index.js'), 'utf8')).toContain("'tool'");
      expect(existsSync(join(world.cwd, 'hello', 'node_modules', '.bin', 'tool'))).toBe(false); // links are never created
      expect(world.reporter.text('info')).toContain('node_modules/.bin/tool');

      // What redeploy does next: package ./hello/ — the same bytes, so no code update is needed.
      const again = await packageFunction('hello', { cwd: world.cwd, store: world.store, bundle: false });
      expect(again.source.sourcePath).toBe(join(world.cwd, 'hello'));
      expect(again.codeSha256).toBe(deployed.codeSha256);
    } finally {
      if (saved === undefined) delete process.env.npm_config_registry;
      else process.env.npm_config_registry = saved;
    }
  });

  it('rejects a symlink entry (mode S_IFLNK) outside node_modules, writing nothing', async () => {
    publish('hello', buildZip([{ name: 'index.js', data: 'exports.handler = 1;' }, { name: 'secrets', data: '/etc/passwd', mode: 0o120777 }]));
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('zip entry "secrets" has a symbolic link');
    expect(await listCwd()).toEqual([]);
  });

  it('refuses an existing ./NAME/ without --force, before asking AWS', async () => {
    await mkdir(join(world.cwd, 'hello'));
    await writeFile(join(world.cwd, 'hello', 'index.js'), 'mine');
    publish('hello', buildZip([{ name: 'index.js', data: 'from aws' }]));
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('./hello already exists here. Use bam get hello --force');
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(await readFile(join(world.cwd, 'hello', 'index.js'), 'utf8')).toBe('mine');
  });

  it('--force replaces ./NAME/ with exactly the fetched code', async () => {
    await mkdir(join(world.cwd, 'hello'));
    await writeFile(join(world.cwd, 'hello', 'index.js'), 'mine');
    await writeFile(join(world.cwd, 'hello', 'old.txt'), 'left over');
    publish('hello', buildZip([{ name: 'index.js', data: 'from aws' }, { name: 'lib/', mode: 0o040755 }, { name: 'lib/util.js', data: 'u' }]));
    await get('hello', { force: true }, world.ctx);
    expect(await readFile(join(world.cwd, 'hello', 'index.js'), 'utf8')).toBe('from aws');
    expect((await readdir(join(world.cwd, 'hello'))).sort()).toEqual(['index.js', 'lib']);
    expect(await listCwd()).toEqual(['hello']);
    expect(world.reporter.text('succeed')).toContain('Folder: "hello" has been replaced (2 files)');
  });

  it('--force with an unsafe zip leaves the existing ./NAME/ as it was', async () => {
    await mkdir(join(world.cwd, 'hello'));
    await writeFile(join(world.cwd, 'hello', 'index.js'), 'mine');
    publish('hello', buildZip([{ name: 'index.js', data: 'from aws' }, { name: '../evil', data: 'x' }]));
    await expect(get('hello', { force: true }, world.ctx)).rejects.toBeInstanceOf(BamError);
    expect(await readFile(join(world.cwd, 'hello', 'index.js'), 'utf8')).toBe('mine');
    expect(await listCwd()).toEqual(['hello']);
  });

  it('a function that does not exist is a clear error, and nothing is created', async () => {
    lambdaMock.on(GetFunctionCommand).rejects(new ResourceNotFoundException({ message: 'Function not found: arn:aws:lambda:us-east-1:1:function:nope', $metadata: {} }));
    await expect(get('nope', {}, world.ctx)).rejects.toThrow('Function "nope" does not exist in us-east-1. See your functions with: bam list');
    expect(await listCwd()).toEqual([]);
  });

  it('an expired or denied link (HTTP 403) is a clear error, and nothing is created', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({ Code: { RepositoryType: 'S3', Location: `${base}/code/expired.zip` } });
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('Downloading the code of "hello" failed: HTTP 403');
    expect(await listCwd()).toEqual([]);
  });

  it('a download that cannot connect names the host and the cause, in one line (exit 1)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve())); // nothing listens there now
    lambdaMock.on(GetFunctionCommand).resolves({ Code: { RepositoryType: 'S3', Location: `http://127.0.0.1:${port}/code/hello.zip?X-Amz-Signature=secret` } });
    const run = await runBam(world, 'get', 'hello');
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `Error: Downloading the code of "hello" from 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}. Check your connection and run bam get hello again.`,
    );
    expect(await listCwd()).toEqual([]);
  });

  it('names the cause under fetch\'s "fetch failed", with its code', () => {
    const dns = Object.assign(new Error('getaddrinfo failed'), { code: 'ENOTFOUND' });
    expect(failureCause(new TypeError('fetch failed', { cause: dns }))).toBe('getaddrinfo failed (ENOTFOUND)');
    expect(failureCause(new Error('The operation was aborted due to timeout'))).toBe('The operation was aborted due to timeout');
  });

  it('refuses plain http to another host, without downloading', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({ Code: { RepositoryType: 'S3', Location: 'http://awslambda-us-east-1-tasks.s3.amazonaws.com/snapshots/hello.zip' } });
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('Refused to download the code from http://awslambda-us-east-1-tasks.s3.amazonaws.com: bam only downloads over HTTPS.');
    expect(requested).toEqual([]);
    expect(await listCwd()).toEqual([]);
  });

  it('says so for a container-image function', async () => {
    lambdaMock.on(GetFunctionCommand).resolves({ Code: { RepositoryType: 'ECR', ImageUri: '123.dkr.ecr.us-east-1.amazonaws.com/app:1' } });
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('is a container image');
  });

  it('warns when the package has no index.js at its root (redeploy would not find it)', async () => {
    publish('hello', buildZip([{ name: 'src/app.js', data: 'exports.main = 1;' }]), 'src/app.main');
    await get('hello', {}, world.ctx);
    expect(world.reporter.text('warn')).toContain('./hello/ has no index.js at its root (the handler is "src/app.main")');
  });

  it('checks the function name before anything else', async () => {
    await expect(get('../x', {}, world.ctx)).rejects.toThrow('not a valid function name');
    expect(lambdaMock.calls()).toHaveLength(0);
  });
});

/** GetFunction points at a path the test server answers by hand. */
function pointAt(name: string, path: string): void {
  lambdaMock.on(GetFunctionCommand, { FunctionName: name }).resolves({
    Configuration: { FunctionName: name, Handler: 'index.handler', Runtime: 'nodejs22.x' },
    Code: { RepositoryType: 'S3', Location: `${base}${path}` },
  });
}

/** A 200 answer that never ends (no Content-Length): only a cap on the reader stops it. */
function serveEndless(path: string): { sent: () => number; closed: Promise<void> } {
  let sent = 0;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  handlers.set(path, (res) => {
    res.writeHead(200, { 'content-type': 'application/zip' });
    res.on('close', markClosed);
    const chunk = Buffer.alloc(256 * 1024, 0x50);
    const pump = (): void => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  return { sent: () => sent, closed };
}

/** A stored zip whose second entry has one byte changed after its CRC-32 was recorded. */
function corruptZip(): Buffer {
  const zip = buildZip([{ name: 'index.js', data: 'exports.handler = 1;' }, { name: 'lib/util.js', data: 'module.exports = 42;' }]);
  const at = zip.indexOf('module.exports = 42;') + 'module.exports = '.length;
  zip[at] = '5'.charCodeAt(0);
  return zip;
}

describe('bam get: a download that cannot hang or hurt', () => {
  it("stops an endless download at Lambda's 50 MB zip limit, with one line and nothing written", async () => {
    const endless = serveEndless('/code/endless.zip');
    pointAt('hello', '/code/endless.zip');
    const err: unknown = await get('hello', {}, world.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    expect((err as Error).message).toBe('The code of "hello" is over 50 MB, Lambda\'s limit for a zip: bam get stopped the download. Nothing was written.');
    await endless.closed; // bam hung up: the server is not left streaming
    expect(endless.sent()).toBeLessThan(60 * 1024 * 1024);
    expect(await listCwd()).toEqual([]);
  });

  it('refuses a download whose Content-Length is over the cap without reading the body', async () => {
    downloadSettings.maxBytes = 64 * 1024;
    downloadSettings.timeoutMs = 5_000; // a reader waiting for the body would fail with a timeout instead
    handlers.set('/code/big.zip', (res) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': 10 * 1024 * 1024 });
      res.write(Buffer.alloc(1024)); // then nothing more: the body never comes
    });
    pointAt('hello', '/code/big.zip');
    await expect(get('hello', {}, world.ctx)).rejects.toThrow('The code of "hello" is over 65536 bytes, Lambda\'s limit for a zip: bam get stopped the download.');
    expect(await listCwd()).toEqual([]);
  });

  it('--force with an oversize download leaves the existing ./NAME/ as it was', async () => {
    downloadSettings.maxBytes = 64 * 1024;
    await mkdir(join(world.cwd, 'hello'));
    await writeFile(join(world.cwd, 'hello', 'index.js'), 'mine');
    serveEndless('/code/endless.zip');
    pointAt('hello', '/code/endless.zip');
    await expect(get('hello', { force: true }, world.ctx)).rejects.toThrow('bam get stopped the download');
    expect(await readdir(join(world.cwd, 'hello'))).toEqual(['index.js']);
    expect(await readFile(join(world.cwd, 'hello', 'index.js'), 'utf8')).toBe('mine');
    expect(await listCwd()).toEqual(['hello']);
  });

  it('refuses a zip with an entry whose CRC-32 does not match, writing nothing', async () => {
    publish('hello', corruptZip());
    const err: unknown = await get('hello', {}, world.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    expect((err as Error).message).toBe('Refused to unpack the code: zip entry "lib/util.js" is corrupt (its CRC-32 does not match). Nothing was written.');
    expect(await listCwd()).toEqual([]);
  });

  it('--force with a corrupt zip leaves the existing ./NAME/ as it was', async () => {
    await mkdir(join(world.cwd, 'hello'));
    await writeFile(join(world.cwd, 'hello', 'index.js'), 'mine');
    publish('hello', corruptZip());
    await expect(get('hello', { force: true }, world.ctx)).rejects.toThrow('is corrupt');
    expect(await readdir(join(world.cwd, 'hello'))).toEqual(['index.js']);
    expect(await readFile(join(world.cwd, 'hello', 'index.js'), 'utf8')).toBe('mine');
    expect(await listCwd()).toEqual(['hello']);
  });

  it('refuses a deflated package with a damaged byte, in one line', async () => {
    const zip = await realPackage();
    // The first entry's compressed bytes start after its 30-byte header, its name and extra field.
    const dataStart = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
    zip[dataStart + 5] = (zip[dataStart + 5] ?? 0) ^ 0xff;
    publish('hello', zip);
    const err: unknown = await get('hello', {}, world.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BamError);
    expect((err as Error).message).toMatch(/^(Refused to unpack|Could not unpack) the code.*Nothing was written\.$/);
    expect((err as Error).message).not.toContain('\n');
    expect(await listCwd()).toEqual([]);
  });
});

describe('unzipSafely', () => {
  // Here the target's parent is visible, so an escape by one level would show.
  it.each([['../evil'], ['/tmp/../evil'], ['C:\\evil'], ['ok/../../evil']])('rejects %j before writing anything, inside or beside the target', async (badName) => {
    const zipFile = join(world.cwd, 'code.zip');
    await writeFile(zipFile, buildZip([{ name: 'index.js', data: 'first' }, { name: 'lib/a.js', data: 'second' }, { name: badName, data: 'evil' }]));
    const target = join(world.cwd, 'target');
    await mkdir(target);
    await expect(unzipSafely(zipFile, target)).rejects.toThrow(/^Refused to unpack the code: zip entry/);
    expect(await readdir(target)).toEqual([]);
    expect((await readdir(world.cwd)).sort()).toEqual(['code.zip', 'target']);
  });

  it('refuses a zip that claims more than Lambda\'s 250 MB unzipped', async () => {
    const zip = buildZip([{ name: 'index.js', data: 'x' }]);
    // Patch the central directory: deflated (method 8), 300 MB uncompressed — a zip bomb's claim.
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(8, central + 10);
    zip.writeUInt32LE(300 * 1024 * 1024, central + 24);
    const zipFile = join(world.cwd, 'big.zip');
    await writeFile(zipFile, zip);
    await mkdir(join(world.cwd, 'target'));
    await expect(unzipSafely(zipFile, join(world.cwd, 'target'))).rejects.toThrow("over Lambda's 250 MB limit");
    expect(await readdir(join(world.cwd, 'target'))).toEqual([]);
  });

  it('leaves the target empty when an entry turns out corrupt after others were written', async () => {
    const zipFile = join(world.cwd, 'code.zip');
    await writeFile(zipFile, corruptZip());
    const target = join(world.cwd, 'target');
    await mkdir(target);
    await expect(unzipSafely(zipFile, target)).rejects.toThrow('zip entry "lib/util.js" is corrupt');
    expect(await readdir(target)).toEqual([]);
  });

  it('turns a corrupt zip into one clear error', async () => {
    const zipFile = join(world.cwd, 'bad.zip');
    await writeFile(zipFile, 'this is not a zip');
    await mkdir(join(world.cwd, 'target'));
    await expect(unzipSafely(zipFile, join(world.cwd, 'target'))).rejects.toThrow(/^Could not unpack the code: /);
  });
});

describe('checkCodeLocation', () => {
  it('takes https, and http only to this machine or to a configured http emulator', () => {
    expect(checkCodeLocation('https://bucket.s3.amazonaws.com/x.zip?sig=1', {}).host).toBe('bucket.s3.amazonaws.com');
    expect(checkCodeLocation('http://127.0.0.1:4566/x.zip', {}).port).toBe('4566');
    expect(checkCodeLocation('http://[::1]:4566/x.zip', {}).hostname).toBe('[::1]');
    expect(() => checkCodeLocation('http://example.com/x.zip', {})).toThrow('only downloads over HTTPS');
    expect(checkCodeLocation('http://s3.localhost.localstack.cloud:4566/x.zip', { AWS_ENDPOINT_URL: 'http://localhost.localstack.cloud:4566' }).hostname).toBe(
      's3.localhost.localstack.cloud',
    );
    expect(() => checkCodeLocation('ftp://example.com/x.zip', { AWS_ENDPOINT_URL: 'http://localhost:4566' })).toThrow('only downloads over HTTPS');
    expect(() => checkCodeLocation('file:///etc/passwd', {})).toThrow('only downloads over HTTPS');
    expect(() => checkCodeLocation('not a url', {})).toThrow('not a URL');
  });
});

describe('unsafeEntryReason', () => {
  it.each([
    ['index.js', 0o100644, undefined],
    ['lib/', 0o040755, undefined],
    ['a/./b.js', 0, undefined],
    ['..', 0, 'a ".." in its path'],
    ['a/../../b', 0, 'a ".." in its path'],
    ['/etc/passwd', 0, 'an absolute path'],
    ['c:evil', 0, 'a drive letter'],
    ['a\\..\\..\\b', 0, 'a backslash in its path'],
    ['link', 0o120777, 'a symbolic link'],
    ['fifo', 0o010644, 'a special file type'],
    ['', 0, 'an empty or invalid name'],
  ])('%j (mode %o) → %s', (name, mode, reason) => {
    expect(unsafeEntryReason(name, mode)).toBe(reason);
  });
});

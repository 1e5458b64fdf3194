import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { create, isHtmlTemplate, type CreateOptions, type TemplateName } from '../../src/commands/create.js';
import { packageFunction } from '../../src/package/index.js';
import { makeWorld, type TestWorld } from '../helpers/context.js';
import { readZipEntries } from '../package/zipReader.js';

// bam create NAME --ts: every template and its --verbose form, written in TypeScript, bundled by
// the real esbuild build of bam deploy, unzipped and run by a fresh Node as Lambda would, and
// type-checked by this project's tsc.
const root = fileURLToPath(new URL('../..', import.meta.url));
const TEMPLATES = join(root, 'templates');
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const FLAGS: Record<TemplateName, CreateOptions> = {
  basic: {},
  invoker: { invoker: true },
  html: { html: true },
  invokerHtml: { invoker: true, html: true },
  db: { db: true },
  dbHtml: { db: true, html: true },
};

/** A request each template answers without calling AWS, and what it answers. */
const SAMPLE: Record<TemplateName, { method: string; body: string | null; status: number; says: string }> = {
  basic: { method: 'GET', body: null, status: 200, says: '"message":"Hello from basic' },
  invoker: { method: 'GET', body: null, status: 400, says: 'Name the function to invoke: ?function=NAME' },
  html: { method: 'GET', body: null, status: 200, says: '<code>/hello</code>' },
  invokerHtml: { method: 'GET', body: null, status: 200, says: '<p>Name a function to invoke.</p>' },
  db: { method: 'POST', body: '"not an item"', status: 400, says: 'POST the item as a JSON object with its' },
  dbHtml: { method: 'POST', body: '"not an item"', status: 400, says: 'POST the item as a JSON object with its' },
};

const VARIANTS = (Object.keys(FLAGS) as TemplateName[]).flatMap((template) =>
  [false, true].map((verbose) => ({ template, verbose, name: `${template}${verbose ? '-verbose' : '-ts'}`, options: { ...FLAGS[template], verbose, ts: true } })),
);

// As in test/package/bundle.test.ts: npm never goes online from a test.
const NPM_OFFLINE = { npm_config_registry: 'http://127.0.0.1:9', npm_config_fetch_retries: '0' };
const savedEnv = Object.fromEntries(Object.keys(NPM_OFFLINE).map((key) => [key, process.env[key]]));

// The project lives inside this repository (gitignored test/.tmp*), as a user's project folder
// would: tsc finds @types/node and the AWS SDK's types in node_modules above it, and the
// unzipped bundles find the SDK there as Lambda's runtime provides it.
let project: string;
let world: TestWorld;

beforeAll(async () => {
  Object.assign(process.env, NPM_OFFLINE);
  project = await mkdtemp(join(root, 'test', '.tmp-ts-templates-'));
  await writeFile(join(project, 'package.json'), '{ "private": true }\n');
  world = await makeWorld();
  for (const variant of VARIANTS) await create(variant.name, variant.options, { ...world.ctx, cwd: project });
});

afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await world.cleanup();
  await rm(project, { recursive: true, force: true });
});

/** What Lambda does: unzip, import index.* in a fresh Node, call handler with an API Gateway event. */
async function runUnzipped(zipPath: string, name: string, entry: string, sample: (typeof SAMPLE)[TemplateName]): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const dir = join(project, '.unzipped', name);
  for (const file of await readZipEntries(zipPath)) {
    await mkdir(join(dir, file.name, '..'), { recursive: true });
    await writeFile(join(dir, file.name), file.content);
  }
  const event = {
    resource: '/{proxy+}',
    path: '/hello',
    httpMethod: sample.method,
    headers: { Accept: 'text/html' },
    queryStringParameters: null,
    pathParameters: { proxy: 'hello' },
    requestContext: { stage: 'bam', requestId: 'test-request' },
    body: sample.body,
    isBase64Encoded: false,
  };
  const script = `import(${JSON.stringify(join(dir, entry))}).then((m) => m.handler(${JSON.stringify(event)})).then((r) => process.stdout.write(JSON.stringify(r)))`;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: dir,
    encoding: 'utf8',
    // No LAMBDA_TASK_ROOT: the html templates then find their page files beside the bundle.
    env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as { statusCode: number; headers: Record<string, string>; body: string };
}

describe.each(VARIANTS)('bam create $name --ts', (variant) => {
  it('keeps the JavaScript twin\'s // description: and // methods: lines', async () => {
    const folder = join(TEMPLATES, `${variant.template}${variant.verbose ? '-verbose' : ''}`);
    const [js, ts] = await Promise.all([readFile(join(folder, 'index.js'), 'utf8'), readFile(join(folder, 'index.ts'), 'utf8')]);
    expect(ts.split('\n').slice(0, 2)).toEqual(js.split('\n').slice(0, 2));
    expect(ts.split('\n')[0]).toMatch(/^\/\/ description: \{\{name\}\}: /);
  });

  it('bundles with esbuild into index.mjs (with the page files for html), which answers a sample API Gateway event', async () => {
    const result = await packageFunction(variant.name, { cwd: project, store: world.store });

    const names = (await readZipEntries(result.zipPath)).map((entry) => entry.name);
    expect(names).toEqual(isHtmlTemplate(variant.template) ? ['application.js', 'index.html', 'index.mjs', 'main.css'] : ['index.mjs']);
    const sample = SAMPLE[variant.template];
    const answer = await runUnzipped(result.zipPath, variant.name, 'index.mjs', sample);
    expect(answer.statusCode).toBe(sample.status);
    expect(answer.body).toContain(sample.says.replaceAll('basic', variant.name));
    if (isHtmlTemplate(variant.template) && sample.status === 200) {
      expect(answer.headers['Content-Type']).toBe('text/html; charset=utf-8');
      expect(answer.body).toContain(await readFile(join(TEMPLATES, `${variant.template}${variant.verbose ? '-verbose' : ''}`, 'main.css'), 'utf8'));
    }
  });
});

describe('the TypeScript templates', () => {
  it('type-check with tsc --noEmit --strict, with @types/node and the AWS SDK\'s own types only', async () => {
    // The user's likely settings for a bundled function; the event types are declared inline.
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler', types: ['node'], skipLibCheck: true },
      include: ['*.ts', '*/index.ts'],
    }));
    const check = await promisify(execFile)(process.execPath, [TSC, '-p', project, '--listFilesOnly'], { cwd: project });
    const checked = check.stdout.split('\n').filter((file) => file.startsWith(project));
    expect(checked).toHaveLength(VARIANTS.length);

    const run = await promisify(execFile)(process.execPath, [TSC, '-p', project, '--noEmit', '--strict'], { cwd: project }).catch((err: { stdout: string; code: number }) => err);
    expect(run.stdout).toBe('');
  });

  it('tsc does report a type error in them (the check can fail)', async () => {
    const broken = join(project, 'broken');
    await mkdir(broken);
    const text = (await readFile(join(TEMPLATES, 'basic', 'index.ts'), 'utf8')).replace('reply(204)', 'reply(\'204\')');
    await writeFile(join(broken, 'index.ts'), text);
    await writeFile(join(broken, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'esnext', moduleResolution: 'bundler', types: ['node'] }, include: ['index.ts'] }));
    const run = await promisify(execFile)(process.execPath, [TSC, '-p', broken], { cwd: broken }).then(() => ({ stdout: '' }), (err: { stdout: string }) => err);
    expect(run.stdout).toContain('index.ts(');
    expect(run.stdout).toContain('error TS2345');
  });
});

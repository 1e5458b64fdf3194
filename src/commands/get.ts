import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import type { CommandContext } from '../tasks/context.js';
import { validateFunctionName } from '../core/names.js';
import { openAws } from '../aws/clients.js';
import { findFunctionCode } from '../aws/lambda.js';
import { checkCodeLocation, downloadTo } from '../get/download.js';
import { unzipSafely, type Unpacked } from '../get/safeUnzip.js';
import { BamError } from '../core/errors.js';

export interface GetOptions {
  force?: boolean;
}

const ENTRY_FILES = ['index.js', 'index.mjs', 'index.cjs'];

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * bam get NAME: GetFunction's code location → download → unpack (safely) into ./NAME/, which
 * is then a source `bam redeploy NAME` accepts. Unpacks into a fresh hidden folder first, so
 * ./NAME/ is only ever replaced by a complete copy.
 */
export async function get(name: string, options: GetOptions, ctx: CommandContext): Promise<void> {
  validateFunctionName(name);
  const target = join(ctx.cwd, name);
  const replacing = await exists(target);
  if (replacing && !options.force) {
    throw new BamError(`./${name} already exists here. Use bam get ${name} --force to replace it with the code from AWS.`);
  }

  const aws = await openAws(ctx.aws);
  ctx.reporter.start(`Fetching the code of "${name}" from ${aws.region}...`);
  let files: string[];
  let skippedLinks: string[];
  let handler: string | undefined;
  try {
    const fn = await findFunctionCode(aws, name);
    if (!fn) throw new BamError(`Function "${name}" does not exist in ${aws.region}. See your functions with: bam list`);
    handler = fn.Configuration?.Handler;
    const location = checkCodeLocation(codeLocation(name, fn));
    ({ files, skippedLinks } = await fetchInto(target, location, name, ctx.cwd));
  } catch (err) {
    ctx.reporter.stop();
    throw err;
  }
  ctx.reporter.succeed(`Folder: "${name}" has been ${replacing ? 'replaced' : 'created'} (${files.length} files)`);
  if (skippedLinks.length > 0) ctx.reporter.info(`Skipped npm's links (bam get never creates links; redeploy reinstalls node_modules): ${listSome(skippedLinks)}`);
  await warnIfNotRedeployable(name, target, handler, ctx);
}

function codeLocation(name: string, fn: GetFunctionCommandOutput): string {
  if (fn.Code?.RepositoryType === 'ECR' || fn.Code?.ImageUri) {
    throw new BamError(`Function "${name}" is a container image (${fn.Code.ImageUri ?? 'ECR'}); bam get only fetches zip packages.`);
  }
  if (!fn.Code?.Location) throw new BamError(`AWS returned no code location for "${name}". Try again, or download it from the Lambda console.`);
  return fn.Code.Location;
}

/** Download and unpack in a hidden work folder beside ./NAME (same disk, so rename is atomic). */
async function fetchInto(target: string, location: URL, name: string, cwd: string): Promise<Unpacked> {
  const work = await mkdtemp(join(cwd, `.${name}.bam-get-`));
  try {
    const zip = join(work, 'code.zip');
    await downloadTo(location, zip, name);
    const fresh = join(work, name);
    await mkdir(fresh);
    const unpacked = await unzipSafely(zip, fresh);
    await replaceFolder(fresh, target, join(work, 'previous'));
    return unpacked;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Moves `fresh` to `target`; an existing target is set aside first and put back if the move fails. */
async function replaceFolder(fresh: string, target: string, previous: string): Promise<void> {
  const hadTarget = await exists(target);
  if (hadTarget) await rename(target, previous);
  try {
    await rename(fresh, target);
  } catch (err) {
    if (hadTarget) await rename(previous, target);
    throw err;
  }
}

function listSome(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

async function warnIfNotRedeployable(name: string, target: string, handler: string | undefined, ctx: CommandContext): Promise<void> {
  const entries = await Promise.all(ENTRY_FILES.map((file) => exists(join(target, file))));
  if (!entries.includes(true)) {
    ctx.reporter.warn(`./${name}/ has no index.js at its root (the handler is "${handler ?? 'unknown'}"): bam redeploy ${name} needs ${name}/index.js.`);
    return;
  }
  const files = await Promise.all(['.js', '.mjs', '.cjs'].map(async (ext) => ((await exists(join(ctx.cwd, name + ext))) ? name + ext : undefined)));
  const clash = files.find(Boolean);
  if (clash) ctx.reporter.warn(`${clash} is also in this folder: bam redeploy ${name} uses it first; redeploy the fetched code with: bam redeploy ${name} --src ./${name}`);
  ctx.reporter.info(`Change the code in ./${name}/, then: bam redeploy ${name}`);
}

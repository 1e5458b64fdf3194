import { mkdir, readdir, readFile, writeFile, access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CommandContext } from '../tasks/context.js';
import { UsageError, BamError } from '../core/errors.js';
import { isTableName, validateFunctionName } from '../core/names.js';

export interface CreateOptions {
  invoker?: boolean;
  html?: boolean;
  db?: boolean;
  verbose?: boolean;
  /** TypeScript: NAME.ts (or NAME/index.ts), from the index.ts beside each template's index.js. */
  ts?: boolean;
}

export type TemplateName = 'basic' | 'invoker' | 'html' | 'invokerHtml' | 'db' | 'dbHtml';

export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

const VALID_COMBINATIONS = 'none (basic), --invoker, --html, --invoker --html, --db, --db --html';

export function templateFor(options: CreateOptions): TemplateName {
  if (options.db && options.invoker) {
    throw new UsageError(`--db and --invoker cannot be combined. Valid templates: ${VALID_COMBINATIONS}.`);
  }
  if (options.db) return options.html ? 'dbHtml' : 'db';
  if (options.invoker) return options.html ? 'invokerHtml' : 'invoker';
  return options.html ? 'html' : 'basic';
}

export function isHtmlTemplate(template: TemplateName): boolean {
  return template === 'html' || template === 'invokerHtml' || template === 'dbHtml';
}

/** The folder holding one template variant's files. */
export function templateDir(template: TemplateName, verbose: boolean): URL {
  return new URL(`${template}${verbose ? '-verbose' : ''}/`, TEMPLATES_DIR);
}

/** bam create: writes NAME.js or NAME.ts (or NAME/ for html templates) from a template; never overwrites. */
export async function create(name: string, options: CreateOptions, ctx: CommandContext): Promise<string[]> {
  validateFunctionName(name);
  const template = templateFor(options);
  refuseUnservableName(name, template);
  await refuseExisting(name, ctx.cwd);

  const source = templateDir(template, Boolean(options.verbose));
  // Each template folder holds both entries: index.js (CommonJS) and its typed twin index.ts (an ES module).
  const [entry, twin] = options.ts ? ['index.ts', 'index.js'] : ['index.js', 'index.ts'];
  const entryExt = options.ts ? '.ts' : await commonJsExtension(ctx.cwd);
  const written: string[] = [];
  if (isHtmlTemplate(template)) {
    const folder = join(ctx.cwd, name);
    await mkdir(folder);
    for (const file of (await readdir(source)).sort().filter((file) => file !== twin)) {
      const target = file === entry ? `index${entryExt}` : file;
      written.push(await writeTemplateFile(new URL(file, source), join(folder, target), name));
    }
  } else {
    written.push(await writeTemplateFile(new URL(entry, source), join(ctx.cwd, `${name}${entryExt}`), name));
  }
  const made = isHtmlTemplate(template) ? `${name}/` : `${name}${entryExt}`;
  const flavour = [...(options.ts ? ['TypeScript'] : []), ...(options.verbose ? ['verbose'] : [])];
  ctx.reporter.succeed(`Created ${made} from the ${template}${flavour.length ? ` (${flavour.join(', ')})` : ''} template.`);
  if (options.ts) {
    ctx.reporter.info('bam deploys TypeScript as written, without type checking: run npx tsc --noEmit for that (see the README).');
  }
  if (entryExt === '.cjs') {
    ctx.reporter.info('Your package.json says "type": "module", so the CommonJS handler was written as a .cjs file.');
  }
  ctx.reporter.info(`Run it locally with: bam dev ${name}    Deploy it with: bam deploy ${name}`);
  return written;
}

/**
 * The templates are CommonJS. Below a package.json that says "type": "module", Node would load
 * a .js file as an ES module and the handler would not run, so there they are written as .cjs
 * (which Node, Lambda and bam deploy all accept). Like Node, the nearest package.json decides.
 */
async function commonJsExtension(cwd: string): Promise<'.js' | '.cjs'> {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const text = await readFile(join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (text !== undefined) return packageType(text) === 'module' ? '.cjs' : '.js';
    if (dirname(dir) === dir) return '.js';
  }
}

function packageType(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}

/** The db templates keep their items in a table named after the function, and DynamoDB wants 3 to 255 characters. */
function refuseUnservableName(name: string, template: TemplateName): void {
  if ((template === 'db' || template === 'dbHtml') && !isTableName(name)) {
    throw new UsageError(`"${name}" cannot name a --db function: its table is named after it, and DynamoDB table names have 3 to 255 characters. Pick a longer name.`);
  }
}

async function refuseExisting(name: string, cwd: string): Promise<void> {
  // Any form bam would find as the function NAME, JavaScript or TypeScript, whichever form is asked for.
  for (const candidate of [`${name}.js`, `${name}.mjs`, `${name}.cjs`, `${name}.ts`, `${name}.mts`, `${name}.cts`, name]) {
    const path = join(cwd, candidate);
    const exists = await access(path).then(() => true, () => false);
    if (exists) throw new BamError(`${path} already exists; bam create never overwrites. Pick another name or move it away.`, { exitCode: 1 });
  }
}

async function writeTemplateFile(from: URL, to: string, name: string): Promise<string> {
  const text = (await readFile(from, 'utf8')).replaceAll('{{name}}', name);
  await writeFile(to, text, { flag: 'wx' });
  return to;
}

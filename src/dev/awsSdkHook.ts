// The ES module hooks of the function workers.
// - Lambda's Node.js runtime provides the AWS SDK v3, so a handler may import @aws-sdk/* without
//   installing it: when the user's folder cannot resolve such an import, it resolves from bam's own
//   dependencies instead.
// - TypeScript with --no-bundle (bam dev otherwise runs deploy's bundle): each .ts file is compiled
//   on its own by esbuild as it is loaded (types stripped, nothing checked), as deploy --no-bundle
//   compiles it, and a relative import finds its .ts file (`./greet` or `./greet.js` → greet.ts).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
  importAttributes?: Record<string, string>;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string; format?: string | null }>;
interface LoadContext {
  format?: string | null;
  conditions: string[];
}
type NextLoad = (url: string, context: LoadContext) => Promise<unknown>;

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;
const RELATIVE = /^\.{1,2}\//;
// What a relative import may leave out, in the order a bundler tries it.
const TS_SUFFIXES = ['.ts', '.tsx', '.mts', '.cts', '/index.ts', '/index.tsx'];

export async function resolve(specifier: string, context: ResolveContext, nextResolve: NextResolve): Promise<unknown> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    if (specifier.startsWith('@aws-sdk/')) return nextResolve(specifier, { ...context, parentURL: import.meta.url });
    if (RELATIVE.test(specifier) && context.parentURL?.startsWith('file:')) {
      const base = specifier.replace(/\.(js|mjs|cjs|jsx)$/, '');
      for (const suffix of TS_SUFFIXES) {
        const found = await nextResolve(`${base}${suffix}`, context).catch(() => undefined);
        if (found) return found;
      }
    }
    throw err;
  }
}

export async function load(url: string, context: LoadContext, nextLoad: NextLoad): Promise<unknown> {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const text = await readFile(path, 'utf8');
  const format = moduleFormat(path, text);
  const { transform } = await import('esbuild');
  const { code } = await transform(text, {
    loader: path.endsWith('.tsx') ? 'tsx' : 'ts',
    format: format === 'module' ? 'esm' : 'cjs',
    platform: 'node',
    sourcemap: 'inline',
    sourcefile: path,
  });
  return { format, source: code, shortCircuit: true };
}

/** .mts is a module and .cts CommonJS; a .ts (or .tsx) file is a module when it imports or exports as one, as bam deploy reads it. */
function moduleFormat(path: string, text: string): 'module' | 'commonjs' {
  if (path.endsWith('.mts')) return 'module';
  if (path.endsWith('.cts')) return 'commonjs';
  return /^\s*(import\s*[\w{*'"]|export\s)/m.test(text) ? 'module' : 'commonjs';
}

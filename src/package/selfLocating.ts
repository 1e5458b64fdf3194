// Packages that find their own files through their module's location (`__dirname`, `__filename`,
// `import.meta.url`, a relative require.resolve): swagger-ui-dist serves its folder, pino starts
// its worker from a file beside it, jsdom resolves its XHR worker's file, wasm packages read their
// .wasm. Bundled, that location is the bundle's, where their files are not (swagger-ui-express
// would serve the function's own code). So they stay in node_modules, npm-installed, as native
// addons do.
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';

/** A module's names for its own place: CommonJS's, and ES modules' (see ownFileNames.ts too). */
export const FREE_NAMES = /\b__dirname\b|\b__filename\b/;
export const META_NAMES = /\bimport\.meta\.(?:url|dirname|filename)\b/;
// Also a relative require.resolve (jsdom resolves its XHR worker's file at load): a string that
// starts with ./ or ../ is kept as "./" (see namesOwnLocation), any other as "".
const OWN_LOCATION = new RegExp(`${FREE_NAMES.source}|${META_NAMES.source}|\\b(?:require|import\\.meta)\\.resolve\\(\\s*"\\.\\/"`);

/**
 * The package a bare import names for a file in node_modules: the outermost one, so a copy nested
 * in another package's node_modules goes with that package. `node_modules/a/node_modules/b/x.js`
 * → `a`; `node_modules/@s/b/x.js` → `@s/b`.
 */
export function outermostPackage(path: string): string | undefined {
  return /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path.split(sep).join('/'))?.[1];
}

/** Comments and quoted strings, in one pass so that neither hides the other's delimiters. */
export const COMMENTS_AND_STRINGS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g;

/**
 * Whether a module's code names its own location: a mention in a comment or a message
 * (`'colors.setTheme(__dirname + ...'`) is no use. A template literal counts whole.
 */
export function namesOwnLocation(code: string): boolean {
  return OWN_LOCATION.test(code.replace(COMMENTS_AND_STRINGS, (token) => (token.startsWith('/') ? ' ' : /^['"]\.\.?\//.test(token) ? '"./"' : '""')));
}

/**
 * The packages among a bundle's inputs (paths relative to `workingDir`, as esbuild's metafile
 * lists them) whose code names its own location, sorted.
 */
export async function selfLocatingPackages(inputs: string[], workingDir: string): Promise<string[]> {
  const byPackage = new Map<string, string[]>();
  for (const input of inputs) {
    const name = /\.[cm]?[jt]sx?$/.test(input) ? outermostPackage(input) : undefined;
    if (name) byPackage.set(name, [...(byPackage.get(name) ?? []), input]);
  }
  const found = await Promise.all(
    [...byPackage].map(async ([name, files]) => {
      for (const file of files) {
        if (namesOwnLocation(await readFile(resolve(workingDir, file), 'utf8').catch(() => ''))) return name;
      }
      return undefined;
    }),
  );
  return found.filter((name): name is string => name !== undefined).sort();
}

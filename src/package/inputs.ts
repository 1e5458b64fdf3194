import { dirname, join } from 'node:path';
import type { BuildInputs } from '../core/watching.js';
import type { FunctionSource } from './source.js';
import { readUserPackage } from './userPackage.js';

// What decides the installed dependencies besides the code (the user's package.json and lockfile).
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'];

/**
 * Every file whose change changes the function's zip: the function's folder (or its single
 * file), and the package.json and lockfile its dependencies' versions come from. The one place
 * that says so: `bam redeploy --watch` watches exactly this.
 */
export async function buildInputs(source: FunctionSource): Promise<BuildInputs> {
  const userPackage = await readUserPackage(dirname(source.entryFile));
  const packageFiles = userPackage.dir ? PACKAGE_FILES.map((file) => join(userPackage.dir!, file)) : [];
  return source.kind === 'dir'
    ? { files: packageFiles, folders: [source.sourcePath] }
    : { files: [source.entryFile, ...packageFiles], folders: [] };
}

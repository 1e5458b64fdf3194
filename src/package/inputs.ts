import { dirname, join } from 'node:path';
import type { BuildInputs } from '../core/watching.js';
import type { FunctionSource } from './source.js';
import { readUserPackage } from './userPackage.js';
import { readOutsideInputs } from './buildStamp.js';
import { findTsConfig, tsConfigFiles } from './tsconfig.js';

// What decides the installed dependencies besides the code (the user's package.json and lockfile).
const PACKAGE_FILES = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'];

/**
 * Every file whose change changes the function's zip: the function's folder (or its single
 * file), the package.json and lockfile its dependencies' versions come from, the tsconfig.json
 * the bundle reads and the files it extends, and the files outside the folder the last build
 * read (its `paths` targets, from the build stamp in `stagingDir`). The one place that says so: `bam redeploy --watch`
 * watches exactly this.
 */
export async function buildInputs(source: FunctionSource, stagingDir: string): Promise<BuildInputs> {
  const folder = dirname(source.entryFile);
  const [userPackage, tsconfig] = await Promise.all([readUserPackage(folder), findTsConfig(folder)]);
  const outside = readOutsideInputs(stagingDir);
  const packageFiles = [...(userPackage.dir ? PACKAGE_FILES.map((file) => join(userPackage.dir!, file)) : []), ...(tsconfig ? tsConfigFiles(tsconfig.path) : [])];
  const watched = [...packageFiles, ...outside];
  return source.kind === 'dir'
    ? { files: watched, folders: [source.sourcePath] }
    : { files: [source.entryFile, ...watched], folders: [] };
}

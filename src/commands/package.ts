import type { CommandContext } from '../tasks/context.js';
import { validateFunctionName } from '../core/names.js';
import { packageFunction, type BuildFlags, type PackageResult } from '../package/index.js';
import { formatSize } from '../package/size.js';

export interface PackageOptions extends BuildFlags {
  src?: string;
  json?: boolean;
}

/**
 * bam package: the packaging half of deploy, without AWS (no region or credentials needed), so
 * users can inspect exactly what would be uploaded.
 */
export async function packageCommand(name: string, options: PackageOptions, ctx: CommandContext): Promise<PackageResult> {
  validateFunctionName(name);
  const { reporter } = ctx;
  reporter.start(`Packaging ${name}`);
  const result = await packageFunction(name, { cwd: ctx.cwd, store: ctx.store, src: options.src, reporter, bundle: options.bundle, external: options.external }).catch((err: unknown) => {
    reporter.fail(`Could not package ${name}.`);
    throw err;
  });
  reporter.succeed(`Packaged ${name}: ${formatSize(result.zipSize)} zipped.`);
  reporter.result(options.json ? JSON.stringify(summary(result), null, 2) : describe(result));
  return result;
}

function summary(result: PackageResult) {
  return {
    name: result.name,
    source: result.source.sourcePath,
    zipPath: result.zipPath,
    zipSize: result.zipSize,
    unzippedSize: result.unzippedSize,
    codeSha256: result.codeSha256,
    description: result.description,
    dependencies: result.dependencies,
    bundled: result.bundled,
    external: result.external,
    sourceMap: result.sourceMapPath ?? null,
  };
}

function describe(result: PackageResult): string {
  const dependencies = Object.entries(result.dependencies).map(([name, version]) => `${name}@${version}`);
  return [
    `Zip:          ${result.zipPath}`,
    // The exact byte count too, once the rounded size hides it (Lambda's limits are in bytes).
    `Size:         ${formatSize(result.zipSize)} zipped, ${formatSize(result.unzippedSize)} unzipped${result.zipSize >= 1024 ? ` (${result.zipSize} bytes)` : ''}`,
    `CodeSha256:   ${result.codeSha256}`,
    `Description:  ${result.description || '(none: add a "// description: ..." comment at the top)'}`,
    `Dependencies: ${dependencies.length > 0 ? dependencies.join(', ') : '(none)'}`,
    `Build:        ${result.bundled ? `one esbuild bundle${result.external.length > 0 ? `; in node_modules: ${result.external.join(', ')}` : ''}` : 'files as they are, with node_modules (--no-bundle)'}`,
    ...(result.sourceMapPath ? [`Source map:   ${result.sourceMapPath} (not shipped)`] : []),
  ].join('\n');
}

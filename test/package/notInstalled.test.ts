import { describe, expect, it } from 'vitest';
import type { BuildFailure, Message } from 'esbuild';
import { notInstalledImports } from '../../src/package/bundle.js';

const error = (text: string, file: string): Message => ({ id: '', pluginName: '', text, location: { file, namespace: 'file', line: 1, column: 0, length: 1, lineText: '', suggestion: '' }, notes: [], detail: undefined });
const failure = (...errors: Message[]): BuildFailure => Object.assign(new Error('Build failed'), { errors, warnings: [] });

describe('imports left to run time because they are not installed', () => {
  it("names the packages that packages import, by package (a subpath's too), once each", () => {
    expect(
      notInstalledImports(
        failure(
          error('Could not resolve "better-sqlite3"', 'node_modules/knex/lib/dialects/better-sqlite3/index.js'),
          error('Could not resolve "@scope/driver/sub"', 'node_modules/knex/lib/x.js'),
          error('Could not resolve "better-sqlite3"', 'node_modules/other/y.js'),
        ),
      ),
    ).toEqual(['better-sqlite3', '@scope/driver']);
  });

  it("leaves everything an error when one error is something else: the user's own import, a relative file, a syntax error", () => {
    const optional = error('Could not resolve "tedious"', 'node_modules/knex/lib/dialects/mssql/index.js');
    expect(notInstalledImports(failure(optional, error('Could not resolve "lodash"', 'lib/util.js')))).toEqual([]);
    expect(notInstalledImports(failure(optional, error('Could not resolve "./missing.js"', 'node_modules/knex/lib/a.js')))).toEqual([]);
    expect(notInstalledImports(failure(optional, error('Expected ";" but found "x"', 'node_modules/knex/lib/a.js')))).toEqual([]);
    expect(notInstalledImports(failure(error('Could not resolve "node:nothing"', 'node_modules/a/b.js')))).toEqual([]);
  });
});

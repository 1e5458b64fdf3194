// ESLint 10 reads only flat configs; the rules stay in .eslintrc.json, translated here by
// @eslint/eslintrc's FlatCompat (extends, env, parser, plugins, overrides, ignorePatterns).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlatCompat } from '@eslint/eslintrc';
import js from '@eslint/js';

const root = dirname(fileURLToPath(import.meta.url));
const compat = new FlatCompat({
  baseDirectory: root,
  recommendedConfig: js.configs.recommended,
  allConfig: js.configs.all,
});
const rc = JSON.parse(readFileSync(join(root, '.eslintrc.json'), 'utf8'));

export default [
  // `--ext .ts` under eslintrc: only TypeScript is linted. Flat ESLint would also pick up the
  // bench's .mjs/.js scripts (plain JavaScript, outside tsconfig.lint.json).
  { ignores: ['**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...compat.config(rc).map((config) =>
    // Objects without `files` (the base rules) apply to .ts only; the overrides keep their own
    // globs. The ignorePatterns object (only `ignores`) stays global.
    config.files || (config.ignores && Object.keys(config).length === 1)
      ? config
      : { files: ['**/*.ts'], ...config },
  ),
  // parserOptions.project in .eslintrc.json is relative to this folder, whatever the cwd.
  { files: ['**/*.ts'], languageOptions: { parserOptions: { tsconfigRootDir: root } } },
];

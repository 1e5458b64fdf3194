import { describe, expect, it } from 'vitest';
import { isIgnoredChange } from '../../src/core/watching.js';

describe('which changes a watch ignores', () => {
  it("ignores editors' temporary files", () => {
    for (const name of ['.hello.js.swp', 'hello.js.swx', 'hello.js~', '4913', '.#hello.js', '#hello.js#', 'hello.js___jb_tmp___', 'lib/.util.js.swo', '.DS_Store']) {
      expect(isIgnoredChange(name), name).toBe(true);
    }
  });

  it('ignores node_modules and .git, and counts every other file', () => {
    expect(isIgnoredChange('node_modules/x/index.js')).toBe(true);
    expect(isIgnoredChange('.git/index')).toBe(true);
    for (const name of ['hello.js', 'lib/util.mjs', 'package.json', 'public/style.css', 'swap.js', 'a4913.js']) {
      expect(isIgnoredChange(name), name).toBe(false);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/core/dotenv.js';
import { UsageError } from '../../src/core/errors.js';

const parse = (text: string) => parseDotenv(text, '.env');

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines, skipping # comments and blank lines', () => {
    expect(parse('# settings\nA=1\n\n  B = two words  \n#C=3\n')).toEqual({ A: '1', B: 'two words' });
  });

  it('takes an optional export prefix and CRLF line ends', () => {
    expect(parse('export TOKEN=abc\r\nexport  OTHER=x\r\n')).toEqual({ TOKEN: 'abc', OTHER: 'x' });
  });

  it('keeps = inside values and cuts a trailing " #" comment from bare values only', () => {
    expect(parse('URL=https://x.example/?a=1&b=2\nCOLOR=#fff\nN=5 # five')).toEqual({ URL: 'https://x.example/?a=1&b=2', COLOR: '#fff', N: '5' });
  });

  it("takes 'single-quoted' values literally", () => {
    expect(parse(`A='hello # not a comment \\n'\nB=''`)).toEqual({ A: 'hello # not a comment \\n', B: '' });
  });

  it('expands \\n, \\t, \\" and \\\\ in "double-quoted" values, and allows a comment after the quote', () => {
    expect(parse('A="line1\\nline2"\nB="say \\"hi\\"\\tok\\\\"  # note\nC="#hash"')).toEqual({ A: 'line1\nline2', B: 'say "hi"\tok\\', C: '#hash' });
  });

  it('an empty value is an empty string; later lines win', () => {
    expect(parse('A=\nB=1\nB=2')).toEqual({ A: '', B: '2' });
  });

  it.each([
    ['JUSTAWORD', 1],
    ['A=1\nB="unclosed', 2],
    ["A='x' trailing", 1],
    ['=value', 1],
  ])('refuses %j, naming the file and line', (text, line) => {
    expect(() => parse(text)).toThrow(UsageError);
    expect(() => parse(text)).toThrow(new RegExp(`^\\.env line ${line}: `));
  });
});

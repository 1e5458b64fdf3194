import chalk from 'chalk';

// chalk follows FORCE_COLOR and the terminal; NO_COLOR (https://no-color.org) we honour ourselves.
if (process.env.NO_COLOR) chalk.level = 0;

export const style = {
  bam: (text: string) => chalk.greenBright(text),
  ok: (text: string) => chalk.green(text),
  warn: (text: string) => chalk.yellow(text),
  error: (text: string) => chalk.red(text),
  dim: (text: string) => chalk.dim(text),
  bold: (text: string) => chalk.bold(text),
  url: (text: string) => chalk.cyan.underline(text),
};

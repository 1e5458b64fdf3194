// chalk, and the terminal probing it does, takes longer to load than a warm `bam package` takes
// to run: output that chalk would leave uncoloured anyway does not load it. That is chalk's own
// rule for its level 0: NO_COLOR (https://no-color.org, honoured by bam), or stdout not a
// terminal with neither FORCE_COLOR nor a --color flag (chalk alone also colours Azure Pipelines' logs).
const colourless = Boolean(process.env.NO_COLOR) || (!('FORCE_COLOR' in process.env) && !process.stdout.isTTY && !process.argv.some((arg) => /^--colou?rs?(=|$)/.test(arg)));
const chalk = colourless ? undefined : (await import('chalk')).default;

const plain = (text: string): string => text;

export const style = {
  bam: chalk ? (text: string) => chalk.greenBright(text) : plain,
  ok: chalk ? (text: string) => chalk.green(text) : plain,
  warn: chalk ? (text: string) => chalk.yellow(text) : plain,
  error: chalk ? (text: string) => chalk.red(text) : plain,
  dim: chalk ? (text: string) => chalk.dim(text) : plain,
  bold: chalk ? (text: string) => chalk.bold(text) : plain,
  url: chalk ? (text: string) => chalk.cyan.underline(text) : plain,
};

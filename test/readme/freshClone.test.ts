import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's fresh-clone commands, as a new user runs them in the clone: the bam dev line
// serves the example page, and nothing is written into the repository (issue 21).

const ROOT = join(import.meta.dirname, '..', '..');
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bam-readme-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The lines of the README's "On a fresh clone" code block. */
async function freshCloneCommands(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('## On a fresh clone')[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

const gitStatus = (): string => execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: ROOT, encoding: 'utf8' });

describe('the README on a fresh clone', () => {
  it('lists the build, the example under bam dev, and the tests', async () => {
    expect(await freshCloneCommands()).toEqual(['npm ci && npm run build', '(cd examples && node ../bin/bam.js dev hello)', 'npm test']);
  });

  it('examples/hello is exactly what bam create hello --html writes (so the two cannot drift apart)', async () => {
    const made = join(home, 'created');
    await mkdir(made, { recursive: true });
    // A package.json saying commonjs, as examples/ has: bam create then writes index.js.
    await writeFile(join(made, 'package.json'), '{ "type": "commonjs" }\n');
    execFileSync(process.execPath, [join(ROOT, 'bin', 'bam.js'), 'create', 'hello', '--html'], { cwd: made, env: { ...process.env, BAM_HOME: home, NO_COLOR: '1' } });
    const names = (await readdir(join(made, 'hello'))).sort();
    expect((await readdir(join(ROOT, 'examples', 'hello'))).sort()).toEqual(names);
    for (const name of names) {
      expect(await readFile(join(ROOT, 'examples', 'hello', name), 'utf8'), name).toBe(await readFile(join(made, 'hello', name), 'utf8'));
    }
  });

  it('the bam dev line serves the example page and leaves git status as it was', async () => {
    const line = (await freshCloneCommands()).find((command) => command.includes('bam.js dev'))!;
    const before = gitStatus();
    // A free port instead of 3000 (the suite runs beside other things); the rest exactly as written.
    const child = spawn('bash', ['-c', line.replace(/dev hello\)$/, 'dev hello --port 0)')], {
      cwd: ROOT,
      detached: true, // its own process group: the subshell and bam dev stop together
      env: { ...process.env, BAM_HOME: home, NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`bam dev printed no URL within 60 s:\n${out}`)), 60_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /\) \S+ at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        });
        child.on('exit', (code) => reject(new Error(`bam dev exited (${code}) before serving:\n${out}`)));
      });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('<html');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid!, 'SIGINT');
        await exited;
      }
    }
    expect(gitStatus()).toBe(before);
  }, 90_000);
});

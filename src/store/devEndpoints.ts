import { readdir, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';
import type { StorePaths } from './paths.js';
import { isRunning } from './processes.js';

/** What a running bam dev tells other bam commands (bam invoke) about itself. */
export interface DevEndpoint {
  pid: number;
  /** Its local Lambda API, e.g. http://127.0.0.1:3002, and that port. */
  url: string;
  port: number;
  /** The functions it serves over HTTP (warm or warming). */
  functions: string[];
  /** The folder it runs the functions of, and the region it runs them in. */
  cwd: string;
  region: string;
  startedAt: string;
}

/**
 * One file per bam dev, named by its Lambda API's port: several bam dev never write the same file
 * (and a pid could repeat within one process: tests run several in one). A bam dev removes its own on exit; one that was killed leaves it behind, so a reader skips
 * (and removes) the file of a process that is gone.
 */
export interface DevEndpoints {
  advertise(endpoint: DevEndpoint): Promise<void>;
  withdraw(endpoint: DevEndpoint): Promise<void>;
  /** For process 'exit', where nothing asynchronous runs any more. */
  withdrawNow(endpoint: DevEndpoint): void;
  /** Those whose process still runs, oldest first. */
  running(): Promise<DevEndpoint[]>;
}

const ENDPOINT_FILE = /^\d+\.json$/;

export function devEndpointsAt(paths: StorePaths): DevEndpoints {
  const withdraw = (endpoint: DevEndpoint) => rm(paths.devEndpoint(endpoint.port), { force: true });
  return {
    advertise: (endpoint) => writeJsonFileAtomic(paths.devEndpoint(endpoint.port), endpoint),
    withdraw,
    withdrawNow: (endpoint) => rmSync(paths.devEndpoint(endpoint.port), { force: true }),
    running: async () => {
      let names: string[];
      try {
        names = await readdir(paths.devEndpoints());
      } catch {
        return []; // no bam dev has run yet
      }
      const found = await Promise.all(names.filter((name) => ENDPOINT_FILE.test(name)).map((name) => readEndpoint(join(paths.devEndpoints(), name))));
      const live: DevEndpoint[] = [];
      for (const endpoint of found) {
        if (!endpoint) continue;
        if (isRunning(endpoint.pid)) live.push(endpoint);
        else await withdraw(endpoint);
      }
      return live.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    },
  };
}

/** A file that cannot be read or is not an endpoint is skipped: it only ever points at a process. */
async function readEndpoint(file: string): Promise<DevEndpoint | undefined> {
  try {
    return await readJsonFile<DevEndpoint>(file, validateEndpoint);
  } catch {
    return undefined;
  }
}

function validateEndpoint(value: unknown): string | undefined {
  const e = value as Partial<DevEndpoint> | null;
  if (!e || typeof e !== 'object') return 'not an object';
  if (!Number.isInteger(e.pid) || (e.pid ?? 0) <= 0) return 'pid must be a positive integer';
  if (typeof e.url !== 'string' || !/^http:\/\//.test(e.url)) return 'url must be an http URL';
  if (!Number.isInteger(e.port)) return 'port must be an integer';
  if (!Array.isArray(e.functions) || !e.functions.every((name) => typeof name === 'string')) return 'functions must be a list of names';
  if (typeof e.cwd !== 'string' || typeof e.region !== 'string' || typeof e.startedAt !== 'string') return 'cwd, region and startedAt must be strings';
  return undefined;
}

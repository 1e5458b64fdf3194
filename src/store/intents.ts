import { randomBytes } from 'node:crypto';
import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';
import { withLock } from './lock.js';
import type { StorePaths } from './paths.js';
import type { EndpointType } from '../core/records.js';
import type { UrlSettings } from '../core/functionUrl.js';

/** What bam is about to create: recorded before the create call, removed once the outcome is recorded. */
export interface Intent {
  /** One per operation; the created resource carries it (function tag, API description, table tag). */
  token: string;
  kind: 'function' | 'api' | 'table';
  region: string;
  /** The function (for 'function' and 'api') or table name. */
  name: string;
  startedAt: string;
  /** For an API: what its record needs once it is found. */
  api?: { methods: string[]; endpointType: EndpointType; cors?: string };
  /** For a function: where its code came from (Lambda does not know). */
  sourcePath?: string;
  /** For a function: the URL it is to get (bam deploy --url), owed in its record if it is found. */
  url?: UrlSettings;
}

interface IntentFile {
  version: 1;
  intents: Intent[];
}

const KINDS = ['function', 'api', 'table'];

function validateIntents(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'expected an object';
  const intents = (value as { intents?: unknown }).intents;
  if (!Array.isArray(intents)) return '"intents" must be a list';
  for (const [i, intent] of intents.entries()) {
    if (typeof intent !== 'object' || intent === null) return `intents[${i}] must be an object`;
    const { token, kind, region, name } = intent as Record<string, unknown>;
    if (typeof token !== 'string' || typeof region !== 'string' || typeof name !== 'string') return `intents[${i}]: token, region and name must be strings`;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) return `intents[${i}]: kind must be one of ${KINDS.join(', ')}`;
  }
  return undefined;
}

/** A fresh operation token (tagged on what the operation creates). */
export function newToken(): string {
  return randomBytes(8).toString('hex');
}

const same = (a: Intent, b: Pick<Intent, 'token' | 'kind'>): boolean => a.token === b.token && a.kind === b.kind;

/** intents.json: the write-ahead list of what bam is about to create. */
export interface Intents {
  open(added: Intent[], onWait?: (message: string) => void): Promise<void>;
  close(...done: Pick<Intent, 'token' | 'kind'>[]): Promise<void>;
  forName(region: string, name: string, kinds: Intent['kind'][]): Promise<Intent[]>;
  inRegion(region: string): Promise<Intent[]>;
}

export function intentsAt(paths: StorePaths): Intents {
  const readIntents = async (): Promise<Intent[]> => (await readJsonFile<IntentFile>(paths.intents(), validateIntents))?.intents ?? [];
  const changeIntents = async (change: (intents: Intent[]) => Intent[], onWait?: (holder: string) => void): Promise<void> => {
    await withLock(paths.lock(), async () => {
      const next = change(await readIntents());
      await writeJsonFileAtomic(paths.intents(), { version: 1, intents: next } satisfies IntentFile);
    }, onWait ? { onWait } : {});
  };
  return {
    /** Write-ahead: on disk (fsynced) before the call that creates the resource is sent. */
    /**
     * Before the first AWS write: a records lock held by a live bam is waited for here (told once
     * through onWait), or the command stops here, never after it has created something.
     */
    async open(added: Intent[], onWait?: (message: string) => void): Promise<void> {
      const told = onWait ? (holder: string) => onWait(`The bam records are locked by ${holder}; waiting for it before creating anything.`) : undefined;
      await changeIntents((current) => [...current.filter((i) => !added.some((a) => same(i, a))), ...added], told);
    },

    /** The outcome is recorded (or the resource is known not to exist): nothing left to settle. */
    async close(...done: Pick<Intent, 'token' | 'kind'>[]): Promise<void> {
      await changeIntents((current) => current.filter((i) => !done.some((d) => same(i, d))));
    },

    /** Open intents for this name in this region (of the given kinds). */
    async forName(region: string, name: string, kinds: Intent['kind'][]): Promise<Intent[]> {
      return (await readIntents()).filter((i) => i.region === region && i.name === name && kinds.includes(i.kind));
    },

    async inRegion(region: string): Promise<Intent[]> {
      return (await readIntents()).filter((i) => i.region === region);
    },
  };
}

import { readJsonFile, writeJsonFileAtomic } from './jsonFile.js';
import { withLock } from './lock.js';
import type { StorePaths } from './paths.js';
import { isAccountNumber } from '../core/names.js';
import { DEFAULT_ROLE, STORE_VERSION, type BamConfig, type RegionMap } from '../core/records.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireStrings(value: Record<string, unknown>, keys: string[]): string | undefined {
  for (const key of keys) {
    if (typeof value[key] !== 'string') return `"${key}" must be a string`;
  }
  return undefined;
}

export function validateConfig(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected an object';
  if (value.accountNumber !== undefined && (typeof value.accountNumber !== 'string' || !isAccountNumber(value.accountNumber))) {
    return '"accountNumber" must be a 12-digit string';
  }
  if (typeof value.defaultRole !== 'string' || value.defaultRole === '') return '"defaultRole" must be a role name';
  if (typeof value.version !== 'number') return '"version" must be a number';
  if (value.endpointType !== undefined && value.endpointType !== 'EDGE' && value.endpointType !== 'REGIONAL') {
    return '"endpointType" must be EDGE or REGIONAL';
  }
  return undefined;
}

export function validateLambda(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected an object';
  const missing = requireStrings(value, ['arn', 'role', 'runtime', 'description', 'codeSha256', 'sourcePath', 'deployedAt']);
  if (missing) return missing;
  if (value.api !== undefined) {
    if (!isObject(value.api)) return '"api" must be an object';
    const apiMissing = requireStrings(value.api, ['restApiId', 'endpointType', 'url', 'stage']);
    if (apiMissing) return `api: ${apiMissing}`;
    if (!Array.isArray(value.api.methods)) return 'api: "methods" must be a list';
    if (value.api.deployed !== undefined && typeof value.api.deployed !== 'boolean') return 'api: "deployed" must be true or false';
    if (value.api.cors !== undefined && typeof value.api.cors !== 'string') return 'api: "cors" must be a string';
  }
  for (const key of ['pendingApi', 'lastApi']) {
    const settings = value[key];
    if (settings === undefined) continue;
    if (!isObject(settings) || !Array.isArray(settings.methods) || typeof settings.endpointType !== 'string') {
      return `"${key}" must be an object with methods and endpointType`;
    }
  }
  if (value.url !== undefined && !(isObject(value.url) && typeof value.url.url === 'string')) return '"url" must be an object with a url';
  if (value.pendingUrl !== undefined && !isObject(value.pendingUrl)) return '"pendingUrl" must be an object';
  for (const key of ['memory', 'timeout']) {
    if (value[key] !== undefined && typeof value[key] !== 'number') return `"${key}" must be a number`;
  }
  if (value.env !== undefined && !(isObject(value.env) && Object.values(value.env).every((v) => typeof v === 'string'))) {
    return '"env" must map names to strings';
  }
  return undefined;
}

export function validateDbTable(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected an object';
  if (!isObject(value.partitionKey)) return '"partitionKey" must be an object';
  const key = requireStrings(value.partitionKey, ['name', 'type']);
  if (key) return `partitionKey: ${key}`;
  if (value.sortKey !== undefined) {
    if (!isObject(value.sortKey)) return '"sortKey" must be an object';
    const sort = requireStrings(value.sortKey, ['name', 'type']);
    if (sort) return `sortKey: ${sort}`;
  }
  return requireStrings(value, ['arn', 'createdAt']);
}

function regionMapValidator(validateRecord: (v: unknown) => string | undefined) {
  return (value: unknown): string | undefined => {
    if (!isObject(value)) return 'expected an object of regions';
    for (const [region, names] of Object.entries(value)) {
      if (!isObject(names)) return `region "${region}" must be an object`;
      for (const [name, record] of Object.entries(names)) {
        const problem = validateRecord(record);
        if (problem) return `${region}/${name}: ${problem}`;
      }
    }
    return undefined;
  };
}

/** One region → name → record file: reads validate, writes are locked and atomic. */
export class RecordFile<T> {
  constructor(
    private readonly file: () => string,
    private readonly lockFile: () => string,
    private readonly validateRecord: (v: unknown) => string | undefined,
  ) {}

  async all(): Promise<RegionMap<T>> {
    return (await readJsonFile<RegionMap<T>>(this.file(), regionMapValidator(this.validateRecord))) ?? {};
  }

  async inRegion(region: string): Promise<Record<string, T>> {
    return (await this.all())[region] ?? {};
  }

  async get(region: string, name: string): Promise<T | undefined> {
    return (await this.inRegion(region))[name];
  }

  async put(region: string, name: string, record: T): Promise<void> {
    await this.update(region, name, () => record);
  }

  /**
   * Read-modify-write under the lock. `change` gets the current record (or undefined) and
   * returns the new one, or undefined to remove it.
   */
  async update(region: string, name: string, change: (current: T | undefined) => T | undefined): Promise<T | undefined> {
    return withLock(this.lockFile(), async () => {
      const all = await this.all();
      const next = change(all[region]?.[name]);
      const regionRecords = { ...(all[region] ?? {}) };
      if (next === undefined) delete regionRecords[name];
      else regionRecords[name] = next;
      all[region] = regionRecords;
      await writeJsonFileAtomic(this.file(), all);
      return next;
    });
  }

  async remove(region: string, name: string): Promise<void> {
    await this.update(region, name, () => undefined);
  }
}

const defaultConfig = (): BamConfig => ({ defaultRole: DEFAULT_ROLE, version: STORE_VERSION });

/** config.json: the default role, the account number, the roles known to be ready. */
export interface ConfigFile {
  readConfig(): Promise<BamConfig>;
  updateConfig(change: (current: BamConfig) => BamConfig): Promise<BamConfig>;
}

export function configFileAt(paths: StorePaths): ConfigFile {
  const read = async (): Promise<BamConfig> => (await readJsonFile<BamConfig>(paths.config(), validateConfig)) ?? defaultConfig();
  return {
    readConfig: read,
    updateConfig: (change) =>
      withLock(paths.lock(), async () => {
        const next = change(await read());
        await writeJsonFileAtomic(paths.config(), next);
        return next;
      }),
  };
}

// The records bam keeps in its .bam directory, as types: what a deployed function, its API and
// a table look like on disk. src/store reads, validates and writes them.
import type { UrlRecord, UrlSettings } from './functionUrl.js';

export const STORE_VERSION = 1;
export const DEFAULT_ROLE = 'defaultBamRole';
export const DATABASE_ROLE = 'databaseBamRole';

export type EndpointType = 'EDGE' | 'REGIONAL';

export interface BamConfig {
  accountNumber?: string;
  defaultRole: string;
  version: number;
  /** Endpoint type for new APIs when --endpointType is not given. */
  endpointType?: EndpointType;
  /** IAM roles bam has seen to exist, so deploys need not look them up again. */
  knownRoles?: string[];
}

export interface ApiRecord {
  restApiId: string;
  endpointType: EndpointType;
  methods: string[];
  url: string;
  stage: string;
  deployed: boolean;
  /** Allowed origin when CORS is on. */
  cors?: string;
}

/** What an endpoint is made of, kept when it does not exist (yet, or any more). */
export interface ApiSettings {
  methods: string[];
  endpointType: EndpointType;
  cors?: string;
}

export interface LambdaRecord {
  arn: string;
  role: string;
  runtime: string;
  description: string;
  codeSha256: string;
  sourcePath: string;
  deployedAt: string;
  api?: ApiRecord;
  /** The endpoint a deploy asked for that is not made yet (it was interrupted): redeploy makes it. */
  pendingApi?: ApiSettings;
  /** The endpoint's settings when its API vanished (deleted in the console): --addEndpoint restores them. */
  lastApi?: ApiSettings;
  memory?: number;
  timeout?: number;
  env?: Record<string, string>;
  /** The function URL (bam deploy --url), beside or instead of the API. */
  url?: UrlRecord;
  /** The URL a command asked for that is not made yet (it was interrupted): redeploy makes it. */
  pendingUrl?: UrlSettings;
}

export type KeyType = 'S' | 'N' | 'B';

export interface KeyRecord {
  name: string;
  type: KeyType;
}

export interface DbTableRecord {
  partitionKey: KeyRecord;
  sortKey?: KeyRecord;
  arn: string;
  createdAt: string;
}

/** region → resource name → record */
export type RegionMap<T> = Record<string, Record<string, T>>;

/** The keys a table is made with. */
export interface TableKeys {
  partitionKey: KeyRecord;
  sortKey?: KeyRecord;
}

// How bam marks what it creates. The managed tag says "bam made this"; the token says which
// operation made it, so a create whose answer was lost (or whose process was killed) can be
// found again and told apart from one a second attempt made.

export const MANAGED_TAG_KEY = 'bam:managed';
export const MANAGED_TAG_VALUE = 'true';
export const TOKEN_TAG_KEY = 'bam:token';

/** Lambda's and DynamoDB's tags for a resource bam creates in the operation `token`. */
export function creationTags(token: string | undefined): Record<string, string> {
  return { [MANAGED_TAG_KEY]: MANAGED_TAG_VALUE, ...(token ? { [TOKEN_TAG_KEY]: token } : {}) };
}

// REST APIs are created by ImportRestApi, which takes no tags: the token rides in the API's
// description, which GetRestApis lists.
const API_TOKEN = /\s*\[bam:([0-9a-f]{8,32})\]$/;

export function withApiToken(description: string, token: string | undefined): string {
  return token ? `${description} [bam:${token}]` : description;
}

/** The token in an API's description, if bam put one there. */
export function apiTokenOf(description: string | undefined): string | undefined {
  return description ? API_TOKEN.exec(description)?.[1] : undefined;
}

/** The description as the user wrote it, without bam's token. */
export function stripApiToken(description: string | undefined): string | undefined {
  return description?.replace(API_TOKEN, '');
}

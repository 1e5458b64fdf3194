import {
  APIGatewayClient,
  CreateDeploymentCommand,
  DeleteRestApiCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  ImportRestApiCommand,
  PutRestApiCommand,
  UpdateRestApiCommand,
  type RestApi,
} from '@aws-sdk/client-api-gateway';
import type { AwsSession } from './clients.js';
import { answerMayBeLost, bamBam, type BamBamOptions } from './bamBam.js';
import { apiDocument, type ApiSpec } from '../core/apiDocument.js';
import { BamError, isAwsError } from '../core/errors.js';
import { STAGE } from '../core/stage.js';


/** The session's API Gateway client (built on first use). */
const apiGatewayClient = (aws: AwsSession): APIGatewayClient => aws.client('apiGateway', APIGatewayClient);

export function apiUrl(restApiId: string, region: string, stage = STAGE): string {
  return `https://${restApiId}.execute-api.${region}.amazonaws.com/${stage}`;
}

function documentBody(spec: ApiSpec): Uint8Array {
  return Buffer.from(JSON.stringify(apiDocument(spec)));
}

/** Creates the whole REST API (resources, methods, integrations) from one generated document. */
export async function importRestApi(aws: AwsSession, spec: ApiSpec, wait: BamBamOptions = {}): Promise<string> {
  const api = await bamBam(
    aws,
    'ImportRestApi',
    () =>
      apiGatewayClient(aws).send(
        new ImportRestApiCommand({ body: documentBody(spec), parameters: { endpointConfigurationTypes: spec.endpointType } }),
      ),
    wait,
  );
  if (!api.id) throw new BamError(`ImportRestApi failed: API Gateway returned no API id. Run: bam redeploy ${spec.name} --addEndpoint`);
  return api.id;
}

/** Replaces the API's resources and methods with a regenerated document (one call for any method change). */
export async function putRestApi(aws: AwsSession, restApiId: string, spec: ApiSpec, wait: BamBamOptions = {}): Promise<void> {
  await bamBam(
    aws,
    'PutRestApi',
    () => apiGatewayClient(aws).send(new PutRestApiCommand({ restApiId, mode: 'overwrite', body: documentBody(spec) })),
    wait,
  );
}

/** Sets the API's description alone (no new deployment needed: the stage serves no description). */
export async function updateApiDescription(aws: AwsSession, restApiId: string, description: string): Promise<void> {
  await bamBam(aws, 'UpdateRestApi', () =>
    apiGatewayClient(aws).send(new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'replace', path: '/description', value: description }] })),
  );
}

/** Publishes the API's current definition to the stage, which makes the URL answer. */
export async function createDeployment(aws: AwsSession, restApiId: string, wait: BamBamOptions = {}): Promise<void> {
  await bamBam(aws, 'CreateDeployment', () => apiGatewayClient(aws).send(new CreateDeploymentCommand({ restApiId, stageName: STAGE })), wait);
}

/** The API, or undefined when it no longer exists (deleted in the console, say). */
export async function findRestApi(aws: AwsSession, restApiId: string): Promise<RestApi | undefined> {
  try {
    return await bamBam(aws, 'GetRestApi', () => apiGatewayClient(aws).send(new GetRestApiCommand({ restApiId })));
  } catch (err) {
    if (isAwsError(err, 'NotFoundException')) return undefined;
    throw err;
  }
}

/** Every REST API of the region: GetRestApis returns at most 500 a page, so follow the position. */
export async function listRestApis(aws: AwsSession): Promise<RestApi[]> {
  const apis: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await bamBam(aws, 'GetRestApis', () => apiGatewayClient(aws).send(new GetRestApisCommand({ limit: 500, ...(position ? { position } : {}) })));
    apis.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  return apis;
}

/**
 * Deletes the API; 'gone' when it was already deleted. API Gateway allows about one
 * DeleteRestApi per 30 s per account, so callers pass a countdown to show while bamBam waits.
 */
export async function deleteRestApi(aws: AwsSession, restApiId: string, wait: BamBamOptions = {}): Promise<'deleted' | 'gone'> {
  try {
    await bamBam(aws, 'DeleteRestApi', () => apiGatewayClient(aws).send(new DeleteRestApiCommand({ restApiId })), wait);
    return 'deleted';
  } catch (err) {
    if (isAwsError(err, 'NotFoundException')) return 'gone';
    // The answer was lost, but the deletion may have happened (then a retry only hears "not
    // found", and loses that too): one look says whether the API is still there.
    if (answerMayBeLost(err) && (await findRestApi(aws, restApiId).catch(() => 'unknown')) === undefined) return 'deleted';
    throw err;
  }
}

import { ACCOUNT, REGION, integrationUris, type HttpFakeAws } from '../aws/httpFakeAws.js';
import { functionArn, invocationUri } from '../../src/core/apiDocument.js';
import type { LambdaRecord } from '../../src/core/records.js';

export const STAGE = 'bam';

/**
 * Everything that keeps AWS (the HTTP fake) and the records from being one deployed function:
 * exactly that function, exactly one API whose every integration invokes it, deployed to stage
 * bam with its current definition, the function's invoke permission for that API (and none for
 * another), and records listing exactly these (api.deployed). Empty when converged.
 */
export function convergenceProblems(
  aws: HttpFakeAws,
  recorded: Record<string, LambdaRecord>,
  name: string,
  options: { codeSha256?: string } = {},
): string[] {
  const problems: string[] = [];
  const functions = [...aws.functions.keys()];
  if (functions.length !== 1 || functions[0] !== name) problems.push(`AWS has functions [${functions.join(', ')}], not exactly [${name}]`);
  const fn = aws.functions.get(name);
  if (fn && options.codeSha256 && fn.codeSha256 !== options.codeSha256) {
    problems.push(`"${name}" runs code ${fn.codeSha256}, not the source's ${options.codeSha256}`);
  }

  const apis = [...aws.apis.values()];
  if (apis.length !== 1) problems.push(`AWS has ${apis.length} APIs [${apis.map((api) => api.id).join(', ')}], not exactly one`);
  const api = apis.length === 1 ? apis[0] : undefined;
  if (api) {
    const uris = integrationUris(api.document);
    const target = invocationUri(REGION, ACCOUNT, name);
    if (uris.length === 0 || uris.some((uri) => uri !== target)) problems.push(`API ${api.id} integrates [${[...new Set(uris)].join(', ')}], not only ${target}`);
    if (api.stages[STAGE] === undefined) problems.push(`API ${api.id} is not deployed to stage ${STAGE}`);
    else if (api.stages[STAGE] !== api.revision) problems.push(`stage ${STAGE} of API ${api.id} serves definition ${api.stages[STAGE]}, not the current ${api.revision}`);
  }

  if (fn) {
    const grants = Object.entries(fn.permissions).filter(([, p]) => p.principal === 'apigateway.amazonaws.com' && p.action === 'lambda:InvokeFunction');
    const apiOf = (sourceArn = '') => new RegExp(`^arn:aws:execute-api:${REGION}:${ACCOUNT}:([^/]+)/`).exec(sourceArn)?.[1];
    if (api && !grants.some(([, p]) => apiOf(p.sourceArn) === api.id)) problems.push(`"${name}" has no invoke permission for API ${api.id}`);
    const strays = grants.filter(([, p]) => apiOf(p.sourceArn) !== api?.id).map(([sid, p]) => `${sid} (${p.sourceArn ?? 'any source'})`);
    if (strays.length > 0) problems.push(`"${name}" lets other APIs invoke it: ${strays.join(', ')}`);
  }

  const names = Object.keys(recorded);
  if (names.length !== 1 || names[0] !== name) problems.push(`the records list [${names.join(', ')}], not exactly [${name}]`);
  const record = recorded[name];
  if (record) {
    if (record.arn !== functionArn(REGION, ACCOUNT, name)) problems.push(`the record's arn is ${record.arn}`);
    if (fn && record.codeSha256 !== fn.codeSha256) problems.push(`the record's codeSha256 ${record.codeSha256} is not AWS's ${fn.codeSha256}`);
    if (!record.api) problems.push(`the record of "${name}" has no API`);
    else {
      if (record.api.restApiId !== api?.id) problems.push(`the record's API is ${record.api.restApiId}, AWS's is ${api?.id ?? 'none'}`);
      if (record.api.deployed !== true) problems.push(`the record's API says deployed: ${String(record.api.deployed)}`);
      if (record.api.stage !== STAGE) problems.push(`the record's stage is ${record.api.stage}`);
      const url = `https://${record.api.restApiId}.execute-api.${REGION}.amazonaws.com/${STAGE}`;
      if (record.api.url !== url) problems.push(`the record's url is ${record.api.url}, not ${url}`);
    }
  }
  if (aws.unmodelled.length > 0) problems.push(`the fake AWS was asked what it does not model: ${aws.unmodelled.join('; ')}`);
  return problems;
}

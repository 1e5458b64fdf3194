import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAws } from '../../src/aws/clients.js';
import { ensureRole, recheckRole, requestedRole } from '../../src/tasks/roles.js';
import { DATABASE_ROLE, DEFAULT_ROLE } from '../../src/core/records.js';
import { ACCOUNT, REGION } from '../aws/fakeAws.js';
import { setScene, type Scene } from '../aws/scene.js';

let scene: Scene;
beforeEach(async () => {
  scene = await setScene({ roleKnown: false });
});
afterEach(async () => {
  await scene.cleanup();
});

const target = (role: string) => ({ role, account: ACCOUNT, region: REGION, reporter: scene.world.reporter, store: scene.world.store });

describe('bam roles', () => {
  it('repairs an existing bam role it has not seen yet (policies re-attached, no CreateRole), then trusts the cache', async () => {
    const aws = await openAws(scene.world.ctx.aws);
    await ensureRole(aws, target(DEFAULT_ROLE));
    expect(scene.aws.names().sort()).toEqual(['AttachRolePolicy', 'GetRole', 'PutRolePolicy']);
    expect((await scene.world.store.readConfig()).knownRoles).toEqual([DEFAULT_ROLE]);

    scene.aws.resetCalls();
    await ensureRole(aws, target(DEFAULT_ROLE));
    expect(scene.aws.calls).toEqual([]);
  });

  it('knows the database role per region, because its DynamoDB permission is per region', async () => {
    const aws = await openAws(scene.world.ctx.aws);
    await ensureRole(aws, target(DATABASE_ROLE));
    await ensureRole(aws, { ...target(DATABASE_ROLE), region: 'eu-west-1' });
    const role = scene.aws.roles.get(DATABASE_ROLE)!;
    expect(Object.keys(role.inline).sort()).toEqual(['bam-dynamodb-eu-west-1', `bam-dynamodb-${REGION}`, 'bam-invoke-lambda']);
    expect((await scene.world.store.readConfig()).knownRoles).toEqual([`${DATABASE_ROLE}@${REGION}`, `${DATABASE_ROLE}@eu-west-1`]);
  });

  it('a re-check forgets the cached role and recreates a bam role that is gone', async () => {
    const aws = await openAws(scene.world.ctx.aws);
    await ensureRole(aws, target(DEFAULT_ROLE));
    scene.aws.roles.clear();
    await recheckRole(aws, target(DEFAULT_ROLE));
    expect(scene.aws.roles.has(DEFAULT_ROLE)).toBe(true);
    expect((await scene.world.store.readConfig()).knownRoles).toEqual([DEFAULT_ROLE]);
  });

  it('a role the user named is never created: missing is an error', async () => {
    const aws = await openAws(scene.world.ctx.aws);
    await expect(ensureRole(aws, target('theirs'))).rejects.toThrow('Role "theirs" does not exist');
    expect(scene.aws.names()).toEqual(['GetRole']);
  });

  it('--role wins over --permitDb; --permitDb with --revokeDb is a usage error', () => {
    expect(requestedRole({ role: 'r', permitDb: true }, DEFAULT_ROLE)).toBe('r');
    expect(requestedRole({ permitDb: true }, DEFAULT_ROLE)).toBe(DATABASE_ROLE);
    expect(requestedRole({ revokeDb: true }, 'myDefault')).toBe('myDefault');
    expect(requestedRole({}, DEFAULT_ROLE)).toBeUndefined();
    expect(() => requestedRole({ permitDb: true, revokeDb: true }, DEFAULT_ROLE)).toThrow(/contradict/);
    expect(() => requestedRole({ role: 'bad role!' }, DEFAULT_ROLE)).toThrow(/not a valid IAM role name/);
  });
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../src/commands/deploy.js';
import { redeploy } from '../../src/commands/redeploy.js';
import { deleteLambda } from '../../src/commands/delete.js';
import { HELLO, setScene, type Scene } from '../aws/scene.js';

// Every call takes a fixed 25 ms; a call's level is one more than the deepest call already
// answered when it started, so the deepest level is the number of sequential round trips.
let scene: Scene;
beforeAll(async () => {
  scene = await setScene();
  scene.aws.latencyMs = 25;
});
afterAll(async () => {
  await scene.cleanup();
});

async function roundTripsOf(job: () => Promise<unknown>): Promise<{ roundTrips: number; calls: number }> {
  scene.aws.resetCalls();
  await job();
  return { roundTrips: scene.aws.roundTrips(), calls: scene.aws.calls.length };
}

describe('the round-trip budget (issue 9), role and account known', () => {
  const ctx = () => scene.world.ctx;

  it('fresh deploy with an endpoint: at most 3', async () => {
    expect(await roundTripsOf(() => deploy('hello', {}, ctx()))).toEqual({ roundTrips: 3, calls: 6 });
  });

  it('redeploy with unchanged code: at most 1, and no write', async () => {
    expect(await roundTripsOf(() => redeploy('hello', {}, ctx()))).toEqual({ roundTrips: 1, calls: 2 });
    expect(scene.aws.writes()).toEqual([]);
  });

  it('redeploy with changed code: at most 3', async () => {
    await writeFile(join(scene.world.cwd, 'hello.js'), HELLO.replace("'hello'", "'hello, world'"));
    expect((await roundTripsOf(() => redeploy('hello', {}, ctx()))).roundTrips).toBeLessThanOrEqual(3);
  });

  // The API first, then the function (issue 13): an API that cannot be deleted leaves everything recorded.
  it('delete: at most 2', async () => {
    expect(await roundTripsOf(() => deleteLambda('hello', {}, ctx()))).toEqual({ roundTrips: 2, calls: 2 });
  });
});

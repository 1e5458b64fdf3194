/**
 * Promise.all that waits for every step to settle before throwing the first failure (in
 * argument order), so no AWS call is left running unobserved and records can be written
 * for what did succeed.
 */
export async function concurrently<T extends readonly unknown[] | []>(steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled: PromiseSettledResult<unknown>[] = await Promise.allSettled(steps as readonly unknown[]);
  const values: unknown[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    values.push(result.value);
  }
  return values as { -readonly [K in keyof T]: Awaited<T[K]> };
}

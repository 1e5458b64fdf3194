import { describe, expect, it } from 'vitest';
import { combineMethods, parseMethods } from '../../src/core/methods.js';
import { concurrently } from '../../src/tasks/concurrently.js';
import { UsageError } from '../../src/core/errors.js';

describe('method lists as BAM! users type them', () => {
  it('takes --methods post put, GET,POST and mixed case; drops duplicates, keeps order', () => {
    expect(parseMethods(['post', 'put'])).toEqual(['POST', 'PUT']);
    expect(parseMethods(['GET,POST'])).toEqual(['GET', 'POST']);
    expect(parseMethods(['get', 'Get,post', 'GET'])).toEqual(['GET', 'POST']);
    expect(parseMethods(['any', 'head', 'options', 'patch', 'delete'])).toEqual(['ANY', 'HEAD', 'OPTIONS', 'PATCH', 'DELETE']);
  });

  it('refuses what is not an HTTP method, naming it and the valid ones (exit 2)', () => {
    expect(() => parseMethods(['GET', 'FETCH'])).toThrow(UsageError);
    expect(() => parseMethods(['GET', 'FETCH'])).toThrow(/FETCH is not an HTTP method.*GET, POST/);
    expect(() => parseMethods([','], '--rmMethods')).toThrow('--rmMethods needs at least one HTTP method');
  });

  it('adds and removes, existing methods first', () => {
    expect(combineMethods(['GET'], ['POST', 'GET'], [])).toEqual(['GET', 'POST']);
    expect(combineMethods(['GET', 'POST'], [], ['GET'])).toEqual(['POST']);
  });
});

describe('concurrently', () => {
  it('waits for every step before throwing the first failure in argument order', async () => {
    const finished: string[] = [];
    const slow = new Promise<string>((resolve) => setTimeout(() => resolve(finished[finished.push('slow') - 1]!), 20));
    const failing = Promise.reject(new Error('second'));
    await expect(concurrently([slow, failing, Promise.reject(new Error('third'))])).rejects.toThrow('second');
    expect(finished).toEqual(['slow']);
  });

  it('returns every value in order', async () => {
    expect(await concurrently([Promise.resolve(1), 'two', undefined])).toEqual([1, 'two', undefined]);
  });
});

import { describe, expect, it } from 'vitest';
import { combineMethods, declaredMethods, parseMethods } from '../../src/core/methods.js';
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

describe('the // methods: line of a function', () => {
  it('is read among the comment lines at the top, beside // description:', () => {
    expect(declaredMethods('// description: x\n// methods: GET, POST, DELETE\nexports.handler = 1;\n')).toEqual(['GET', 'POST', 'DELETE']);
    expect(declaredMethods('#!/usr/bin/env node\n\n//methods: get put\n')).toEqual(['GET', 'PUT']);
  });

  it('counts only before the code starts; none gives undefined', () => {
    expect(declaredMethods('exports.handler = 1;\n// methods: POST\n')).toBeUndefined();
    expect(declaredMethods('// description: x\n')).toBeUndefined();
  });

  it('refuses a word that is not a method, naming the line', () => {
    expect(() => declaredMethods('// methods: GET, FETCH\n')).toThrow(/^\/\/ methods: FETCH is not an HTTP method/);
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

import { describe, expect, it } from 'vitest';
import { buildProxyEvent, type IncomingCall } from '../../src/dev/apiEvent.js';
import { mapProxyResponse, mapProxyResult, survivesJson } from '../../src/dev/apiResponse.js';

const call = (over: Partial<IncomingCall> = {}): IncomingCall => ({
  method: 'GET', path: '/', query: '', rawHeaders: ['Host', 'localhost'], body: Buffer.alloc(0),
  sourceIp: '127.0.0.1', localPort: 3000, accountId: '000000000000', apiId: 'abcdefghij', ...over,
});

describe('buildProxyEvent', () => {
  it('keeps a text body as text and sends binary or non-UTF-8 bodies base64-encoded', () => {
    const text = buildProxyEvent(call({ method: 'POST', rawHeaders: ['content-type', 'application/json'], body: Buffer.from('{"a":"é"}') }));
    expect([text.body, text.isBase64Encoded]).toEqual(['{"a":"é"}', false]);
    const png = buildProxyEvent(call({ method: 'POST', rawHeaders: ['Content-Type', 'image/png'], body: Buffer.from('abc') }));
    expect([png.body, png.isBase64Encoded]).toEqual([Buffer.from('abc').toString('base64'), true]);
    const broken = buildProxyEvent(call({ method: 'POST', rawHeaders: ['Content-Type', 'text/plain'], body: Buffer.from([0xff, 0xfe]) }));
    expect(broken.isBase64Encoded).toBe(true);
    // A type the deployed API does not declare binary arrives as text there, so here too.
    const custom = buildProxyEvent(call({ method: 'POST', rawHeaders: ['Content-Type', 'application/x-ndjson'], body: Buffer.from('{"a":1}\n') }));
    expect([custom.body, custom.isBase64Encoded]).toEqual(['{"a":1}\n', false]);
  });

  it('writes requestTime as API Gateway does and adds its forwarding headers', () => {
    const event = buildProxyEvent(call(), new Date(Date.UTC(2015, 3, 9, 12, 34, 56)));
    expect(event.requestContext.requestTime).toBe('09/Apr/2015:12:34:56 +0000');
    expect(event.requestContext.requestTimeEpoch).toBe(Date.UTC(2015, 3, 9, 12, 34, 56));
    expect(event.headers).toMatchObject({ Host: 'localhost', 'X-Forwarded-For': '127.0.0.1', 'X-Forwarded-Port': '3000', 'X-Forwarded-Proto': 'http' });
  });
});

describe('mapProxyResponse', () => {
  it('merges headers and multiValueHeaders, defaults Content-Type to application/json, decodes base64', () => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 201, headers: { 'X-A': 1 }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true }), 'rid', true);
    expect(mapped).toEqual({
      ok: true,
      answer: { statusCode: 201, headers: ['X-A', '1', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'application/json', 'x-amzn-RequestId', 'rid'], body: Buffer.from([1, 2, 255]) },
    });
  });

  it('keeps only the multiValueHeaders values of a header named in both, as API Gateway merges them', () => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 200, headers: { 'set-cookie': 'a=1', 'X-Only': 'h' }, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: '' }), 'rid');
    expect(mapped.ok ? mapped.answer.headers : []).toEqual(['X-Only', 'h', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Type', 'application/json', 'x-amzn-RequestId', 'rid']);
  });

  it("renames the function's Content-Length and drops its Transfer-Encoding (the server frames the body itself)", () => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 200, headers: { 'Content-Length': '100', 'Content-Type': 'text/plain' }, multiValueHeaders: { 'Transfer-Encoding': ['chunked'] }, body: 'x' }), 'rid');
    expect(mapped.ok ? mapped.answer.headers : []).toEqual(['x-amzn-Remapped-Content-Length', '100', 'Content-Type', 'text/plain', 'x-amzn-RequestId', 'rid']);
  });

  it("calls a result over Lambda's 6 MB response payload limit malformed", () => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 200, body: 'x'.repeat(6_291_556) }), 'rid');
    expect(mapped.ok ? '' : mapped.problem).toMatch(/over Lambda's response payload limit \(6291556 bytes\)/);
    expect(mapProxyResponse(JSON.stringify({ statusCode: 200, body: 'x'.repeat(6_291_500) }), 'rid').ok).toBe(true);
  });

  it.each([
    ['null', 'the result is null'],
    ['"text"', 'the result is string'],
    ['{"body":"x"}', 'statusCode must be an integer'],
    ['{"statusCode":200,"body":{"a":1}}', 'body must be a string'],
    ['{"statusCode":200,"headers":{"X":{"nested":true}}}', 'header "X" must be a string'],
    ['{"statusCode":200,"multiValueHeaders":{"X":"one"}}', 'multiValueHeaders "X" must be a list'],
    ['{"statusCode":200,"isBase64Encoded":"yes"}', 'isBase64Encoded must be true or false'],
  ])('calls %s malformed (API Gateway answers 502)', (payload, problem) => {
    const mapped = mapProxyResponse(payload, 'rid');
    expect(mapped.ok).toBe(false);
    expect(mapped.ok ? '' : mapped.problem).toContain(problem);
  });

  it('decodes base64 only when the Accept header asks for a binary media type (else the client gets the text)', () => {
    const payload = JSON.stringify({ statusCode: 200, body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true });
    const text = mapProxyResponse(payload, 'rid', false);
    expect(text.ok && text.answer.body.toString()).toBe(Buffer.from([1, 2, 255]).toString('base64'));
  });

  it('refuses any key besides the five a REST API accepts, naming it', () => {
    expect(mapProxyResponse(JSON.stringify({ statusCode: 200, body: '', cookies: ['a=1'], version: '2.0' }), 'rid')).toEqual({
      ok: false,
      problem: 'the result has "cookies", "version"; a REST API accepts only statusCode, headers, multiValueHeaders, body and isBase64Encoded (cookies go in multiValueHeaders Set-Cookie)',
    });
  });

  it.each([
    [{ 'X-A': 'a\nb' }, /header "X-A" has a character not allowed/],
    [{ 'X-A': 'a\rb' }, /header "X-A" has a character not allowed/],
    [{ 'Bad Name': 'x' }, /header name "Bad Name" is not a valid HTTP header name/],
    [{ 'X:Colon': 'x' }, /header name "X:Colon" is not a valid/],
  ])('refuses header %o', (headers, why) => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 200, headers, body: '' }), 'rid');
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.problem).toMatch(why);
  });

  it('renames the headers API Gateway owns for a proxy integration and passes the rest as they are', () => {
    const mapped = mapProxyResponse(JSON.stringify({ statusCode: 200, headers: { Server: 's', Date: 'd', Connection: 'close', 'x-amzn-RequestId': 'own', 'WWW-Authenticate': 'w', Via: 'v', 'Content-Type': 'text/plain' }, body: '' }), 'rid');
    expect(mapped.ok && mapped.answer.headers).toEqual([
      'x-amzn-Remapped-Server', 's', 'x-amzn-Remapped-Date', 'd', 'x-amzn-Remapped-Connection', 'close', 'x-amzn-Remapped-x-amzn-RequestId', 'own',
      'WWW-Authenticate', 'w', 'Via', 'v', 'Content-Type', 'text/plain', 'x-amzn-RequestId', 'rid',
    ]);
  });
});

describe('buildProxyEvent request headers', () => {
  it('leaves out the headers API Gateway does not pass to the function (hop-by-hop, Content-Length, Content-MD5…)', () => {
    const event = buildProxyEvent(call({ rawHeaders: ['Host', 'h', 'Connection', 'keep-alive', 'TE', 'trailers', 'Upgrade', 'h2c', 'Content-Length', '0', 'Content-MD5', 'x', 'X-Mine', '1'] }));
    expect(Object.keys(event.headers ?? {}).sort()).toEqual(['Host', 'X-Amzn-Trace-Id', 'X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Mine']);
  });
});

describe('a result mapped in the sandbox thread, without the JSON round trip', () => {
  class Reply {
    statusCode = 200;
    body = 'class';
  }
  const withToJson = { statusCode: 200, body: 'x', toJSON: () => ({ statusCode: 201, body: 'from toJSON' }) };
  const inheritsToJson = Object.assign(Object.create({ toJSON: () => ({ statusCode: 202 }) }) as object, { statusCode: 200 });
  const holey: string[] = ['a'];
  holey[2] = 'c';
  // Results a handler may return, from the common to the odd: for each one let through, the answer
  // must be the one Lambda's stringify-then-parse gives.
  const results: [string, unknown, boolean][] = [
    ['a plain answer', { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' }, true],
    ['multi-value headers and base64', { statusCode: '201', multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] }, body: 'AAEC', isBase64Encoded: true }, true],
    ['a null body and no headers', { statusCode: 204, body: null }, true],
    ['a status as NaN (JSON makes it null)', { statusCode: Number.NaN, body: '' }, true],
    ['a malformed header value', { statusCode: 200, headers: { 'X-A': 'a\nb' }, body: '' }, true],
    ['a lone surrogate in the body', { statusCode: 200, body: 'x\uD800y' }, true],
    ['a number header (JSON keeps the number)', { statusCode: 200, headers: { 'X-N': 5 }, body: '' }, false],
    ['an undefined body (JSON drops the key)', { statusCode: 200, body: undefined }, false],
    ['a Date header (JSON turns it into text)', { statusCode: 200, headers: { 'X-D': new Date(0) }, body: '' }, false],
    ['its own toJSON', withToJson, false],
    ['an inherited toJSON', inheritsToJson, false],
    ['a class instance', new Reply(), false],
    ['an HTTP API cookies key', { statusCode: 200, cookies: ['a=1'], body: '' }, false],
    ['a list with a hole (JSON makes it null)', { statusCode: 200, multiValueHeaders: { 'X-H': holey }, body: '' }, false],
    ['a body near the payload limit', { statusCode: 200, body: 'x'.repeat(4_000_000) }, false],
    ['an array', [200], false],
    ['a string', 'ok', false],
  ];

  it.each(results)('%s: mapped as it is only when JSON would give it back unchanged', (_label, result, survives) => {
    expect(survivesJson(result)).toBe(survives);
    const throughJson = mapProxyResponse(JSON.stringify(result) ?? 'null', 'rid', true);
    if (survives) expect(mapProxyResult(result, 'rid', true)).toEqual(throughJson);
  });
});

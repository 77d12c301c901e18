/**
 * The BMG HTTP lookup against a real HTTP server the test starts: numbers found and not found,
 * retries with backoff after 503s and timeouts, and partner_unavailable when BMG stays down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeIin } from '../../domain/shared/iin';
import { DomainError } from '../../domain/shared/errors';
import { createHttpPhoneDirectory } from './http-directory';

const KNOWN = makeIin('1990-04-12', 'female', 41);
const UNKNOWN = makeIin('1991-05-13', 'male', 42);
const FLAKY = makeIin('1992-06-14', 'female', 43);
const SLOW = makeIin('1993-07-15', 'male', 44);

let server: Server;
let url = '';
/** Requests per IIN, and how many more times FLAKY answers 503 / SLOW stalls. */
const asked = new Map<string, number>();
let flakyFailures = 0;
let slowStalls = 0;
let down = false;
let authorization: string | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    authorization = req.headers.authorization;
    const iin = decodeURIComponent((req.url ?? '').replace('/bmg/subscribers/', ''));
    asked.set(iin, (asked.get(iin) ?? 0) + 1);
    const answer = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (down) return answer(503);
    if (iin === FLAKY && flakyFailures > 0) return (flakyFailures--, answer(503));
    if (iin === SLOW && slowStalls > 0) return void slowStalls--; // never answers: the client times out
    if (iin === KNOWN) return answer(200, { phone: '+7 (701) 555-00-01' });
    if (iin === FLAKY || iin === SLOW) return answer(200, { phone: '87015550002' });
    return answer(404);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bmg/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});
beforeEach(() => {
  asked.clear();
  flakyFailures = 0;
  slowStalls = 0;
  down = false;
});

const waits: number[] = [];
const directory = (retries = 3) =>
  createHttpPhoneDirectory({ url, token: 'bmg-secret', timeoutMs: 200, retries, backoffMs: 10, sleep: async (ms) => void waits.push(ms) });

describe('BMG asked per person over HTTP', () => {
  it('answers the numbers BMG has (normalised) and none for a 404, saying it was a live lookup', async () => {
    const answer = await directory().lookupMany([KNOWN, ` ${UNKNOWN}`, KNOWN]);
    expect([...answer.phones.entries()]).toEqual([[KNOWN, { phone: '77015550001', from: 'lookup' }]]);
    expect(answer.directory).toEqual({ source: 'bmg-lookup' });
    expect(asked.get(KNOWN)).toBe(1);
    expect(authorization).toBe('Bearer bmg-secret');
  });

  it('retries 503s with a doubling backoff until BMG answers', async () => {
    flakyFailures = 2;
    waits.length = 0;
    const answer = await directory().lookupMany([FLAKY]);
    expect(answer.phones.get(FLAKY)?.phone).toBe('77015550002');
    expect(asked.get(FLAKY)).toBe(3);
    expect(waits).toEqual([10, 20]);
  });

  it('retries a request that timed out', async () => {
    slowStalls = 1;
    const answer = await directory().lookupMany([SLOW]);
    expect(answer.phones.get(SLOW)?.phone).toBe('77015550002');
    expect(asked.get(SLOW)).toBe(2);
  });

  it('fails the whole look-up with partner_unavailable when BMG stays down, after the configured tries', async () => {
    down = true;
    const failed = await directory(2)
      .lookupMany([KNOWN, UNKNOWN])
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DomainError);
    expect((failed as DomainError).code).toBe('partner_unavailable');
    expect((failed as DomainError).message).not.toContain(KNOWN);
    expect(asked.get(KNOWN) ?? asked.get(UNKNOWN)).toBe(3);
  });
});

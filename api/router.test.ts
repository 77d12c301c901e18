/**
 * How a request path matches a route (api/router.ts), over real HTTP: each route answers with its
 * name and the parameters it was given, so the table below says which route a path reached.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type Served } from '../test/http';
import { createRouter } from './router';

let served: Served;

beforeAll(async () => {
  const router = createRouter({
    notFound: (_req, res) => res.writeHead(404).end('not found'),
    badUrl: (_req, res) => res.writeHead(400).end('bad url'),
  });
  const answer =
    (name: string) =>
    async (req: Parameters<typeof router.listener>[0], res: Parameters<typeof router.listener>[1], params: Readonly<Record<string, string | undefined>>) => {
      const body = JSON.stringify({ route: `${req.method} ${name}`, params });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
  router.add('get', '/v1/me/vouchers', answer('/v1/me/vouchers'));
  router.add('get', '/v1/me/history', answer('/v1/me/history'));
  router.add('get', '/v1/lists/{source}/{listId}', answer('/v1/lists/{source}/{listId}'));
  router.add('post', '/v1/sms/outbound/{messageId}/delivery', answer('/v1/sms/outbound/{messageId}/delivery'));
  served = await serve(router.listener);
});
afterAll(async () => served?.close());

/** Raw node:http: fetch would normalise the paths under test before sending them. */
const send = (method: string, path: string) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL(served.url);
    const req = request({ host: url.hostname, port: url.port, method, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

const reached = async (method: string, path: string) => {
  const answer = await send(method, path);
  return answer.status === 200 ? (JSON.parse(answer.body) as { route: string; params: Record<string, string> }) : answer;
};

describe('the router', () => {
  it('finds a route by its path as declared, with its parameters decoded', async () => {
    expect(await reached('GET', '/v1/me/vouchers')).toEqual({ route: 'GET /v1/me/vouchers', params: {} });
    expect(await reached('GET', '/v1/lists/sdu/L-1?format=csv')).toEqual({
      route: 'GET /v1/lists/{source}/{listId}',
      params: { source: 'sdu', listId: 'L-1' },
    });
    expect(await reached('POST', '/v1/sms/outbound/case-1%231/delivery')).toMatchObject({ params: { messageId: 'case-1#1' } });
  });

  it('ignores one trailing slash but not a doubled one', async () => {
    expect(await reached('GET', '/v1/me/vouchers/')).toMatchObject({ route: 'GET /v1/me/vouchers' });
    expect(await reached('GET', '/v1/me/vouchers//')).toEqual({ status: 404, body: 'not found' });
    expect(await reached('GET', '//v1/me/vouchers')).toEqual({ status: 404, body: 'not found' });
  });

  it('matches letters in either case and keeps the case of parameters', async () => {
    expect(await reached('GET', '/V1/ME/Vouchers')).toMatchObject({ route: 'GET /v1/me/vouchers' });
    expect(await reached('GET', '/V1/LISTS/SDU/List-A')).toEqual({ route: 'GET /v1/lists/{source}/{listId}', params: { source: 'SDU', listId: 'List-A' } });
  });

  it('matches a percent-encoded character as the character (RFC 3986 §6.2.2.2), on every route alike', async () => {
    expect(await reached('GET', '/v1/me/%76ouchers')).toMatchObject({ route: 'GET /v1/me/vouchers' });
    expect(await reached('GET', '/v1/me/%68istory')).toMatchObject({ route: 'GET /v1/me/history' });
    expect(await reached('GET', '/v1/lists/sdu/L%31')).toMatchObject({ params: { listId: 'L1' } });
  });

  it('never splits a segment at an encoded slash: the parameter carries it (its schema refuses it)', async () => {
    expect(await reached('GET', '/v1/lists/sdu/a%2Fb')).toMatchObject({ params: { source: 'sdu', listId: 'a/b' } });
    expect(await reached('GET', '/v1/me%2Fvouchers')).toEqual({ status: 404, body: 'not found' });
  });

  it('answers a path that is not valid percent-encoding as a bad URL, in a parameter or not', async () => {
    for (const path of ['/v1/lists/sdu/%E0%A4%A', '/v1/me/%zz', '/v1/lists/sdu/100%'])
      expect(await reached('GET', path), path).toEqual({ status: 400, body: 'bad url' });
  });

  it('lets a parameter be as long as the URL: its schema, not the router, bounds it', async () => {
    const listId = 'x'.repeat(5_000);
    expect(await reached('GET', `/v1/lists/sdu/${listId}`)).toMatchObject({ params: { listId } });
  });

  it('answers HEAD with the GET route, and other methods of a known path as no route', async () => {
    expect(await send('HEAD', '/v1/me/vouchers')).toEqual({ status: 200, body: '' });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
      expect(await reached(method, '/v1/me/vouchers'), method).toEqual({ status: 404, body: 'not found' });
  });

  it('takes an absolute request target (RFC 9112 §3.2.2) and ignores a fragment', async () => {
    expect(await reached('GET', 'http://ledger.example/v1/me/vouchers')).toMatchObject({ route: 'GET /v1/me/vouchers' });
    expect(await reached('GET', '/v1/me/vouchers#top')).toMatchObject({ route: 'GET /v1/me/vouchers' });
  });

  it('treats a semicolon as part of the path, not as a delimiter', async () => {
    expect(await reached('GET', '/v1/me/vouchers;jsessionid=1')).toEqual({ status: 404, body: 'not found' });
  });
});

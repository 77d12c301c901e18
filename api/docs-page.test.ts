/**
 * /docs in a real browser: headless Chromium (Debian's package; .ci/run installs it) loads the page
 * under the CSP every answer carries, runs Swagger UI from this origin and renders every operation
 * of the document. Without Chromium on the PATH the test is skipped, saying so.
 */
import { execFile, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../adapters/clock/clock';
import { serve, type Served } from '../test/http';
import { createApi, type Api } from './app';
import { createMetrics } from './metrics';

const CHROMIUM = ['chromium', 'chromium-browser'].find((bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0);
if (!CHROMIUM) console.warn('docs page browser test skipped: no chromium on the PATH (apt-get install chromium)');

/** The page's routes answer from the document alone: every other dependency fails if touched. */
const unused = new Proxy(
  {},
  {
    get: (_target, name) => {
      throw new Error(`the docs page used ${String(name)}`);
    },
  },
) as never;

let api: Api;
let served: Served;

beforeAll(async () => {
  api = createApi({
    clock: systemClock,
    jwtSecret: 'docs-page-test-docs-page-test-docs',
    services: unused,
    pool: unused,
    store: unused,
    reads: unused,
    metrics: createMetrics(),
    health: unused,
    registry: unused,
    registryReads: unused,
    catalogue: unused,
    exchanges: unused,
    settlement: unused,
  });
  served = await serve(api.app);
});
afterAll(async () => {
  await served?.close();
  api?.close();
});

/** The DOM once the page's scripts have run (virtual time: no waiting on the wall clock). */
const renderedDom = (url: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--virtual-time-budget=15000', '--dump-dom', url],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  );

describe.skipIf(!CHROMIUM)('the docs page in Chromium', () => {
  it('renders every operation of the document with Swagger UI, its scripts from this origin under the CSP', async () => {
    const dom = await renderedDom(`${served.url}/docs`);
    expect(dom).toContain('class="swagger-ui"');
    expect(dom).not.toMatch(/Failed to load API definition/);
    const rendered = new Set([...dom.matchAll(/data-path="([^"]+)"/g)].map((match) => match[1]));
    expect([...rendered].sort()).toEqual(Object.keys(api.openapi.paths ?? {}).sort());
  }, 90_000);
});

/**
 * The contract against KurrentDB: on KURRENTDB_URL when set, else in a testcontainers container when
 * a Docker engine answers; otherwise skipped, with the reason printed.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { describe } from 'vitest';
import { eventStoreContract, type ContractSubject } from './contract';
import { createKurrentEventStore } from './kurrentdb';

const IMAGE = 'kurrentplatform/kurrentdb:25.1';
const DOCKER_SOCKET = '/var/run/docker.sock';
/** The engine check must never hold up collection: a live daemon answers /_ping in milliseconds. */
const DOCKER_PING_TIMEOUT_MS = 1_000;
const KURRENT_HTTP_PORT = 2113;

/** True when a Docker engine answers on its socket (a `docker` binary alone is not enough). */
async function dockerEngineAnswers(): Promise<boolean> {
  const socketPath = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : DOCKER_SOCKET;
  if (!existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const ping = request({ socketPath, path: '/_ping', timeout: DOCKER_PING_TIMEOUT_MS }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    ping.on('timeout', () => ping.destroy());
    ping.on('error', () => resolve(false));
    ping.end();
  });
}

async function inContainer(): Promise<ContractSubject> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(IMAGE)
    .withEnvironment({ KURRENTDB_INSECURE: 'true', KURRENTDB_MEM_DB: 'true', KURRENTDB_RUN_PROJECTIONS: 'None' })
    .withExposedPorts(KURRENT_HTTP_PORT)
    .withWaitStrategy(Wait.forHttp('/health/live', KURRENT_HTTP_PORT).forStatusCode(204))
    .start();
  const url = `kurrentdb://${container.getHost()}:${container.getMappedPort(KURRENT_HTTP_PORT)}?tls=false`;
  return { store: createKurrentEventStore(url), dispose: async () => void (await container.stop()) };
}

const url = process.env.KURRENTDB_URL;
const docker = url ? false : await dockerEngineAnswers();
const available = Boolean(url) || docker;
if (!available) console.warn('KurrentDB contract skipped: no KURRENTDB_URL and no Docker engine');

describe.skipIf(!available)('kurrentdb adapter', () => {
  eventStoreContract('kurrentdb', async () => (url ? { store: createKurrentEventStore(url) } : inContainer()));
});

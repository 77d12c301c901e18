import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { mkdtemp, chmod, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { productionSecrets } from '../test/system';
import { ConfigError } from '../adapters/config-error';
import { connectOrExplain } from '../adapters/postgres/pool';
import { startEmbeddedPostgres, freePort } from '../adapters/postgres/embedded';

describe('bad configuration gives one clear message naming what to fix', () => {
  it('names the invalid variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(/PORT/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(ConfigError);
  });

  it('asks for KURRENTDB_URL when the kurrentdb store is chosen', () => {
    expect(() => loadConfig({ EVENT_STORE: 'kurrentdb' })).toThrowError(/KURRENTDB_URL/);
  });

  it('lists the secrets and the identity provider production mode needs (no HS256 secret)', () => {
    expect(() => loadConfig({ MODE: 'production' })).toThrowError(
      /VAULT_KEY, VAULT_MASTER_KEY, OIDC_ISSUER, OIDC_AUDIENCE, OIDC_JWKS_URL, QR_PRIVATE_KEY, QR_PUBLIC_KEY, CHECKPOINT_PRIVATE_KEY, CHECKPOINT_PUBLIC_KEY/,
    );
    expect(() => loadConfig({ MODE: 'production' })).not.toThrowError(/JWT_SECRET/);
  });

  it('refuses the SAMPLE product catalogue in production: it is a demo fixture', () => {
    const production = {
      ...productionSecrets(),
      OIDC_ISSUER: 'https://sso.example.kz/realms/social-wallet',
      OIDC_AUDIENCE: 'social-wallet',
      OIDC_JWKS_URL: 'https://sso.example.kz/realms/social-wallet/protocol/openid-connect/certs',
    };
    expect(loadConfig(production).CATALOGUE_FIXTURE).toBeUndefined();
    expect(() => loadConfig({ ...production, CATALOGUE_FIXTURE: 'sample' })).toThrowError(/CATALOGUE_FIXTURE=sample is a demo fixture/);
    expect(loadConfig({ CATALOGUE_FIXTURE: 'none' }).CATALOGUE_FIXTURE).toBe('none');
  });

  it('asks for the whole identity provider when part of it is set', () => {
    expect(() => loadConfig({ OIDC_ISSUER: 'https://sso.example.kz/realms/social-wallet' })).toThrowError(
      /OIDC_ISSUER set without OIDC_AUDIENCE, OIDC_JWKS_URL/,
    );
  });

  it('explains an unreachable DATABASE_URL without leaking its password', async () => {
    const port = await freePort();
    const error = await connectOrExplain(`postgres://app:s3cret@127.0.0.1:${port}/ledger`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/Cannot reach Postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1/);
    expect(String((error as Error).message)).not.toContain('s3cret');
    expect(String((error as Error).message)).toMatch(/DATABASE_URL/);
  });

  it('names the taken port of the embedded Postgres', async () => {
    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', () => ok()));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'swl-port-'));
    try {
      const error = await startEmbeddedPostgres({ dataDir, port, persistent: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`Port ${port} .* is taken`));
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('names a data directory that cannot be used', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'swl-file-'));
    try {
      const notADir = join(parent, 'file');
      await writeFile(notADir, 'x');
      await chmod(notADir, 0o400);
      const error = await startEmbeddedPostgres({ dataDir: join(notADir, 'pg'), port: 0, persistent: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/data directory .* is not writable/);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

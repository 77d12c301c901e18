/**
 * Configuration from the environment, validated once at start. Errors name the variable to fix.
 */
import { z } from 'zod';
import { ConfigError } from '../adapters/config-error';
import { DEFAULT_STREAM_CACHE_CAPACITY } from '../application/stream-states';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** An external Postgres; when unset, an embedded one starts with data under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /**
   * The schema owner's connection, for migrations only; the service then connects through
   * DATABASE_URL as a member of the application role `swl_app`, which cannot change or remove
   * events (docs/EVIDENCE.md). Unset: migrations run through DATABASE_URL (dev).
   */
  MIGRATION_DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./.data'),
  /** Port of the embedded Postgres (0 = any free port). */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(54329),
  /** Where events live: postgres (default, same database), kurrentdb (needs KURRENTDB_URL), memory (demo only). */
  EVENT_STORE: z.enum(['postgres', 'kurrentdb', 'memory']).default('postgres'),
  KURRENTDB_URL: z.string().optional(),
  /** HMAC key for pseudonymous person ids (keyed hash of the IIN). Required outside dev mode. */
  VAULT_KEY: z.string().min(16).optional(),
  /** AES-256 key that wraps every person's own data key in the vault (32 bytes: base64 or 64 hex digits). Generated in dev mode. */
  VAULT_MASTER_KEY: z.string().optional(),
  /** Ed25519 keys for dynamic QR tokens (PKCS8 / SPKI PEM, or base64 of the PEM). Generated in dev mode. */
  QR_PRIVATE_KEY: z.string().optional(),
  QR_PUBLIC_KEY: z.string().optional(),
  /**
   * During a QR key rotation: public keys published (GET /.well-known/qr-keys.json) and accepted beside
   * QR_PUBLIC_KEY — the next key before it signs, the retiring one until its tokens expired. SPKI PEMs
   * or base64 of each, comma-separated (docs/API.md "QR keys").
   */
  QR_ROTATION_PUBLIC_KEYS: z.string().optional(),
  /** Ed25519 keys that sign the hash chain's daily checkpoints (PKCS8 / SPKI PEM, or base64 of the PEM). Generated in dev mode. */
  CHECKPOINT_PRIVATE_KEY: z.string().optional(),
  CHECKPOINT_PUBLIC_KEY: z.string().optional(),
  /**
   * The OpenID Connect provider whose bearer tokens the API accepts (docs/IDENTITY.md): its issuer,
   * the audience tokens are for, and its JWKS URL. Required in production; when set, HS256 tokens
   * (JWT_SECRET) are not accepted at all.
   */
  OIDC_ISSUER: z.string().url().optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.string().url().optional(),
  /** Least time between two fetches of the provider's keys for a token with an unknown kid. */
  OIDC_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).default(30_000),
  /** The provider's keys are fetched again after this long: the longest a key the provider retired still passes. */
  OIDC_JWKS_MAX_AGE_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** Secret for signing API bearer tokens (HS256, ≥ 32 chars), dev mode and tests only. Generated in dev mode. */
  JWT_SECRET: z.string().min(32).optional(),
  /** The longest lifetime (exp − iat) and age (now − iat) of a bearer token the API accepts. */
  JWT_MAX_LIFETIME_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 60 * 60),
  /** dev: create missing secrets and print sample tokens at start. production: all secrets required. */
  MODE: z.enum(['dev', 'production']).default('dev'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** pretty: readable lines (pino-pretty, dev default); json: one JSON object a line (production default). */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** Requests per minute per API client (token subject, else IP) before 429 rate_limited. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  /** Requests with a missing or bad bearer token per minute per IP before 429 rate_limited. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Postgres timeouts (README, configuration): a sick database fails requests fast with 503. 0 = none. */
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  PG_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(12_000),
  PG_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).default(5_000),
  PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(0).default(30_000),
  /** /health answers within this long, whatever the database does. */
  HEALTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** Readiness says not ready when the embedded Postgres' data directory has less free space. */
  DISK_MIN_FREE_MB: z.coerce.number().int().min(0).default(64),
  /** Readiness calls the deadline scheduler stalled when no pass has completed for this long. */
  SCHEDULER_STALL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /**
   * Streams (histories, folded states, settled indexes) each process holds for the command path
   * (application/stream-states.ts); 0 holds none: every command reads and folds its streams whole.
   */
  STREAM_CACHE_CAPACITY: z.coerce.number().int().min(0).default(DEFAULT_STREAM_CACHE_CAPACITY),
  /** Deep-freeze held stream states, so a decider that mutates one fails at once. Default: on, except in production. */
  FREEZE_STREAM_STATES: z.enum(['on', 'off']).optional(),
  /** Where report files (CSV/JSON/HTML) are written by CLI commands. */
  REPORTS_DIR: z.string().default('./reports'),
  /** BMG phone check: `directory` (BMG's loads imported through /v1/bmg/loads or the CLI) or `http` (BMG asked per person at BMG_URL). */
  BMG_MODE: z.enum(['directory', 'http']).default('directory'),
  BMG_URL: z.string().url().optional(),
  BMG_TOKEN: z.string().optional(),
  BMG_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  BMG_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** e-Otinish's appeals service; unset: feedback waits in the outbox (pending) until it is set. */
  EOTINISH_URL: z.string().url().optional(),
  EOTINISH_TOKEN: z.string().optional(),
  EOTINISH_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  /** The programme's account the paying agent debits for payouts (the debtor of every pain.001 transfer). */
  PAYOUT_DEBTOR_NAME: z.string().min(1).max(140).default('Social Wallet programme (dev)'),
  PAYOUT_DEBTOR_BIN: z
    .string()
    .regex(/^\d{12}$/, 'a БИН is 12 digits')
    .default('000000000000'),
  PAYOUT_DEBTOR_IBAN: z
    .string()
    .regex(/^KZ\d{2}[A-Z0-9]{16}$/, 'a Kazakh IBAN is KZ + 18 characters')
    .default('KZ00000DEV0000000000'),
  PAYOUT_DEBTOR_BIC: z
    .string()
    .regex(/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/, 'a BIC is 8 or 11 characters')
    .default('NBRKKZKX'),
  /**
   * The demo product catalogue: `sample` publishes the SAMPLE list (domain/programs/food-list.ts) as
   * version 1 when no version is published (default in dev mode); `none` never does (production, which refuses `sample`).
   */
  CATALOGUE_FIXTURE: z.enum(['sample', 'none']).optional(),
  /** How often the service closes ended settlement windows and issues due payment orders (seconds; 0 = never). */
  SETTLEMENT_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(300),
});

export type Config = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nFix the environment variables named above.`);
  }
  const config = parsed.data;
  if (config.EVENT_STORE === 'kurrentdb' && !config.KURRENTDB_URL)
    throw new ConfigError('EVENT_STORE=kurrentdb needs KURRENTDB_URL (e.g. kurrentdb://localhost:2113?tls=false).');
  if (config.BMG_MODE === 'http' && !config.BMG_URL)
    throw new ConfigError('BMG_MODE=http needs BMG_URL (the BMG lookup service, e.g. https://bmg.example.kz/api).');
  const oidc = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const;
  if (config.MODE === 'production') {
    // Bearer tokens come from the identity provider in production; the HS256 secret is for dev and tests.
    const missing: string[] = (
      ['VAULT_KEY', 'VAULT_MASTER_KEY', ...oidc, 'QR_PRIVATE_KEY', 'QR_PUBLIC_KEY', 'CHECKPOINT_PRIVATE_KEY', 'CHECKPOINT_PUBLIC_KEY'] as const
    ).filter((k) => !config[k]);
    // The dev defaults of the programme's account must never reach a real paying agent.
    missing.push(...(['PAYOUT_DEBTOR_BIN', 'PAYOUT_DEBTOR_IBAN'] as const).filter((k) => env[k] === undefined));
    if (missing.length > 0) throw new ConfigError(`MODE=production needs ${missing.join(', ')} to be set.`);
  }
  if (config.MODE === 'production' && config.CATALOGUE_FIXTURE === 'sample')
    throw new ConfigError('CATALOGUE_FIXTURE=sample is a demo fixture: production publishes its own product catalogue (POST /v1/catalogue). Fix: unset it.');
  const someOidc = oidc.filter((k) => config[k]);
  if (someOidc.length > 0 && someOidc.length < oidc.length)
    throw new ConfigError(
      `${someOidc.join(', ')} set without ${oidc.filter((k) => !config[k]).join(', ')}: the identity provider needs all three (docs/IDENTITY.md).`,
    );
  return config;
}

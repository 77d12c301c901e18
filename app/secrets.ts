/** The service's secrets: from the environment, or (dev mode only) generated once under DATA_DIR. */
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../adapters/config-error';
import type { Config } from './config';

export interface Secrets {
  /** HS256 bearer tokens: dev mode and tests only ('' in production, where OIDC_* verify tokens). */
  readonly jwtSecret: string;
  readonly vaultKey: string;
  /** Wraps each person's data key in the vault (adapters/vault/sealing.ts): base64 of 32 bytes, or 64 hex digits. */
  readonly vaultMasterKey: string;
  readonly qrPrivateKey: string;
  readonly qrPublicKey: string;
  /** Ed25519 keys of the hash chain's signed daily checkpoints (adapters/evidence/checkpoints.ts). */
  readonly checkpointPrivateKey: string;
  readonly checkpointPublicKey: string;
}

/**
 * Secrets from the environment; in dev mode the missing ones are generated once and kept in
 * DATA_DIR/dev-secrets.json, so that a restart keeps person pseudonyms and tokens valid.
 */
export function resolveSecrets(config: Config): Secrets {
  const given = {
    jwtSecret: config.JWT_SECRET,
    vaultKey: config.VAULT_KEY,
    vaultMasterKey: config.VAULT_MASTER_KEY,
    qrPrivateKey: config.QR_PRIVATE_KEY && pemOf(config.QR_PRIVATE_KEY),
    qrPublicKey: config.QR_PUBLIC_KEY && pemOf(config.QR_PUBLIC_KEY),
    checkpointPrivateKey: config.CHECKPOINT_PRIVATE_KEY && pemOf(config.CHECKPOINT_PRIVATE_KEY),
    checkpointPublicKey: config.CHECKPOINT_PUBLIC_KEY && pemOf(config.CHECKPOINT_PUBLIC_KEY),
  };
  if (Object.values(given).every(Boolean)) return given as Secrets;
  if (config.MODE === 'production') {
    const { jwtSecret, ...required } = given;
    if (!Object.values(required).every(Boolean))
      throw new ConfigError(
        'MODE=production needs VAULT_KEY, VAULT_MASTER_KEY, QR_PRIVATE_KEY, QR_PUBLIC_KEY, CHECKPOINT_PRIVATE_KEY and CHECKPOINT_PUBLIC_KEY.',
      );
    // Production verifies bearer tokens with the identity provider's keys (OIDC_*); no HS256 secret signs or passes.
    return { ...(required as Omit<Secrets, 'jwtSecret'>), jwtSecret: jwtSecret ?? '' };
  }
  const file = resolve(config.DATA_DIR, 'dev-secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    } catch {
      throw new ConfigError(`${file} is damaged. Fix: delete it (dev secrets are regenerated) or set the secrets in the environment.`);
    }
  }
  const keys = stored.qrPrivateKey && stored.qrPublicKey ? undefined : generateKeyPairSync('ed25519');
  const checkpointKeys = stored.checkpointPrivateKey && stored.checkpointPublicKey ? undefined : generateKeyPairSync('ed25519');
  const generated: Secrets = {
    jwtSecret: stored.jwtSecret ?? randomBytes(32).toString('base64url'),
    vaultKey: stored.vaultKey ?? randomBytes(32).toString('base64url'),
    vaultMasterKey: stored.vaultMasterKey ?? randomBytes(32).toString('base64'),
    qrPrivateKey: stored.qrPrivateKey ?? keys!.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    qrPublicKey: stored.qrPublicKey ?? keys!.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    checkpointPrivateKey: stored.checkpointPrivateKey ?? checkpointKeys!.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    checkpointPublicKey: stored.checkpointPublicKey ?? checkpointKeys!.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  try {
    mkdirSync(resolve(config.DATA_DIR), { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  } catch {
    // A read-only DATA_DIR only costs stability across restarts in dev mode.
  }
  return {
    jwtSecret: given.jwtSecret ?? generated.jwtSecret,
    vaultKey: given.vaultKey ?? generated.vaultKey,
    vaultMasterKey: given.vaultMasterKey ?? generated.vaultMasterKey,
    qrPrivateKey: given.qrPrivateKey ?? generated.qrPrivateKey,
    qrPublicKey: given.qrPublicKey ?? generated.qrPublicKey,
    checkpointPrivateKey: given.checkpointPrivateKey ?? generated.checkpointPrivateKey,
    checkpointPublicKey: given.checkpointPublicKey ?? generated.checkpointPublicKey,
  };
}

/** A PEM, or base64 of a PEM (one line, friendlier in .env files). */
function pemOf(value: string): string {
  return value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8');
}

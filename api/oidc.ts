/**
 * Bearer tokens from an external OpenID Connect provider (Keycloak, docs/IDENTITY.md): verified
 * against the provider's JWKS (RS256, ES256 or EdDSA; issuer and audience checked; the Clock's
 * time), then mapped to a Principal by the claims below. jose fetches the key set once, keeps it,
 * and fetches it again when a token names a key id it does not hold (a rotation) — at most once per
 * cooldown, so a flood of tokens with made-up key ids cannot make us hammer the provider.
 *
 * Claims → principal (the provider's mappers put them there, docs/IDENTITY.md):
 *   role      `swl_role` (a string), else the one role of ours among `realm_access.roles`
 *   sub       `sub`
 *   citizen   `family_id`, `person_id`;  merchant `shop_id`;  canteen-device `device_id`, `school_id`;
 *   social-pedagogue `school_id`
 * A token whose claims give no role of ours, or more than one, or lack a field its role needs, is
 * refused (401): a half-configured provider must not pass as somebody else.
 */
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import type { Clock } from '../adapters/clock/clock';
import { ApiProblem } from './problem';
import { principalSchema, ROLES, type Principal, type Role, type VerifiedToken } from './auth';

export interface OidcOptions {
  /** The `iss` every token must carry, e.g. https://sso.example.kz/realms/social-wallet. */
  readonly issuer: string;
  /** The `aud` every token must carry (the API's client id or an audience mapper's value). */
  readonly audience: string;
  /** The provider's JWKS URL (Keycloak: {issuer}/protocol/openid-connect/certs). */
  readonly jwksUrl: string;
  /** Accepted signature algorithms; never HS256 (a shared secret is for dev and tests only). */
  readonly algorithms?: readonly OidcAlgorithm[];
  /** Least time between two fetches of the key set for an unknown kid (jose's cooldown). */
  readonly cooldownMs?: number;
  /** Fetch the key set again after this long even when no unknown kid asked for it. */
  readonly cacheMaxAgeMs?: number;
  /** Timeout of one key-set fetch. */
  readonly timeoutMs?: number;
}

export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type OidcAlgorithm = (typeof OIDC_ALGORITHMS)[number];

/** The claim names of the mapping (docs/IDENTITY.md). */
export const OIDC_CLAIMS = {
  role: 'swl_role',
  familyId: 'family_id',
  personId: 'person_id',
  shopId: 'shop_id',
  deviceId: 'device_id',
  schoolId: 'school_id',
} as const;

export function createOidcVerifier(options: OidcOptions, clock: Clock, maxLifetimeSeconds: number): (token: string) => Promise<VerifiedToken> {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.cooldownMs ?? 30_000,
    cacheMaxAge: options.cacheMaxAgeMs ?? 10 * 60_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
  });
  const algorithms = [...(options.algorithms ?? OIDC_ALGORITHMS)];
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms,
        issuer: options.issuer,
        audience: options.audience,
        currentDate: clock.now(),
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: maxLifetimeSeconds,
      }));
    } catch (error) {
      throw refusalOf(error);
    }
    if (payload.exp! - payload.iat! > maxLifetimeSeconds)
      throw new ApiProblem(
        'unauthorized',
        `The bearer token lives longer than ${maxLifetimeSeconds} s (exp − iat): ask for a shorter-lived one.`,
        undefined,
        invalidToken,
      );
    return { principal: principalFromClaims(payload), expSeconds: payload.exp! };
  };
}

/** The principal the mapped claims name; 401 when they name none, or not all its role needs. */
export function principalFromClaims(payload: JWTPayload): Principal {
  const role = roleOf(payload);
  const text = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : undefined);
  const parsed = principalSchema.safeParse({
    role,
    sub: payload.sub,
    familyId: text(OIDC_CLAIMS.familyId),
    personId: text(OIDC_CLAIMS.personId),
    shopId: text(OIDC_CLAIMS.shopId),
    deviceId: text(OIDC_CLAIMS.deviceId),
    schoolId: text(OIDC_CLAIMS.schoolId),
  });
  if (!parsed.success)
    throw new ApiProblem('unauthorized', `The bearer token's claims do not give the ${role} role what it needs (docs/IDENTITY.md).`, undefined, invalidToken);
  // principalSchema keeps only the role's fields: a merchant's token with a stray school_id stays a merchant.
  return parsed.data;
}

function roleOf(payload: JWTPayload): Role {
  const named = payload[OIDC_CLAIMS.role];
  const realmRoles = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
  const candidates = typeof named === 'string' ? [named] : Array.isArray(realmRoles) ? realmRoles.filter((r): r is string => typeof r === 'string') : [];
  const ours = [...new Set(candidates.filter((r): r is Role => (ROLES as readonly string[]).includes(r)))];
  if (ours.length !== 1)
    throw new ApiProblem(
      'unauthorized',
      ours.length === 0 ? 'The bearer token carries no role of this service.' : 'The bearer token carries more than one role of this service.',
      undefined,
      invalidToken,
    );
  return ours[0]!;
}

const invalidToken = { 'WWW-Authenticate': 'Bearer realm="social-wallet", error="invalid_token"' };

function refusalOf(error: unknown): ApiProblem {
  if (error instanceof joseErrors.JWTExpired) return new ApiProblem('unauthorized', 'The bearer token has expired.', undefined, invalidToken);
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new ApiProblem(
      'unauthorized',
      'The bearer token is signed with a key the identity provider does not publish (unknown kid).',
      undefined,
      invalidToken,
    );
  if (error instanceof joseErrors.JWTClaimValidationFailed && (error.claim === 'iss' || error.claim === 'aud'))
    return new ApiProblem(
      'unauthorized',
      `The bearer token is not from the configured identity provider for this API (${error.claim}).`,
      undefined,
      invalidToken,
    );
  // Our dependency failed, not the client: the key set could not be fetched (down, slow, not a JWKS).
  // (jose's answer to a non-200 from the provider is its base JOSEError itself.)
  const providerFailed =
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    !(error instanceof joseErrors.JOSEError) ||
    error.constructor === joseErrors.JOSEError;
  if (providerFailed)
    return new ApiProblem('service_unavailable', 'The identity provider’s keys could not be fetched; try again shortly.', undefined, { 'Retry-After': '5' });
  return new ApiProblem('unauthorized', 'The bearer token is invalid.', undefined, invalidToken);
}

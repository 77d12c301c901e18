/**
 * Bearer tokens: JWT — in production from the OpenID Connect provider (api/oidc.ts, its JWKS); in
 * dev and tests HS256 with JWT_SECRET (jose). A token carries a role and a subject; the
 * subject's fields depend on the role (a citizen's family and person, a shop, a device and its
 * school, a pedagogue's school). Times come from the Clock, so a virtual clock expires tokens too.
 *
 * Object-level rules (checked in the routes, with the helpers below):
 *   - a citizen sees only their family's vouchers and history (others' → 404, as if absent);
 *   - a shop sees only its own holds (others' → 404);
 *   - a pedagogue only their school, a device only its canteen's school (another school → 403);
 *   - an education authority only the schools of its region (another region's school → 403).
 */
import { LRUCache } from 'lru-cache';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import type { Clock } from '../adapters/clock/clock';
import { ApiProblem } from './problem';

export const ROLES = [
  'sdu',
  'nobd',
  'sms-gateway',
  'citizen',
  'merchant',
  'canteen-device',
  'social-pedagogue',
  'auditor',
  'ministry',
  'operator',
  'bmg',
  'service-provider',
  'education-authority',
] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_ISSUER = 'social-wallet-ledger';
export const TOKEN_AUDIENCE = 'social-wallet-api';
/** Default lifetime of a token minted by `signToken` (dev tokens, tests). */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 60 * 60;
/** Longest token (in characters) we read at all. */
export const MAX_TOKEN_LENGTH = 4096;
/**
 * The longest lifetime (exp − iat) a token may declare, and the oldest it may be (now − iat):
 * a leaked token is worth at most this long. Configured by JWT_MAX_LIFETIME_SECONDS.
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:~-]+$/);

/** The subject of a token, by role. */
export const principalSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('sdu'), sub: id }),
  z.object({ role: z.literal('nobd'), sub: id }),
  z.object({ role: z.literal('sms-gateway'), sub: id }),
  z.object({ role: z.literal('citizen'), sub: id, familyId: id, personId: id }),
  z.object({ role: z.literal('merchant'), sub: id, shopId: id }),
  z.object({ role: z.literal('canteen-device'), sub: id, deviceId: id, schoolId: id }),
  z.object({ role: z.literal('social-pedagogue'), sub: id, schoolId: id }),
  z.object({ role: z.literal('auditor'), sub: id }),
  z.object({ role: z.literal('ministry'), sub: id }),
  z.object({ role: z.literal('operator'), sub: id }),
  /** БМГ: loads its subscriber numbers (seed 004 p. 16). */
  z.object({ role: z.literal('bmg'), sub: id }),
  /** Услугодатель of the food pilot (seed 004 p. 2.8, p. 28): the trade authority that receives the daily report. */
  z.object({ role: z.literal('service-provider'), sub: id }),
  /**
   * Уполномоченный орган в области образования (seed 000, p. 10): the local executive body's
   * education department; it sees the schools of its region (the lists' region code, e.g. akmola).
   */
  z.object({ role: z.literal('education-authority'), sub: id, region: id }),
]);
export type Principal = z.infer<typeof principalSchema>;
export type PrincipalOf<R extends Role> = Extract<Principal, { role: R }>;

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signToken(secret: string, principal: Principal, options: { now: Date; ttlSeconds?: number }): Promise<string> {
  const { sub, ...claims } = principal;
  const iat = Math.floor(options.now.getTime() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .sign(secretKey(secret));
}

/**
 * Verifies signature, issuer, audience, expiry (against the Clock), the lifetime (exp and iat both
 * present, exp − iat and the token's age at most `maxLifetimeSeconds`) and the subject's shape.
 */
export async function verifyToken(key: Uint8Array, token: string, clock: Clock, maxLifetimeSeconds = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS): Promise<Principal> {
  if (token.length > MAX_TOKEN_LENGTH) throw new ApiProblem('unauthorized', 'The bearer token is too long.');
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: clock.now(),
      requiredClaims: ['exp', 'iat', 'sub'],
      maxTokenAge: maxLifetimeSeconds,
    });
    if (payload.exp! - payload.iat! > maxLifetimeSeconds)
      throw new ApiProblem(
        'unauthorized',
        `The bearer token lives longer than ${maxLifetimeSeconds} s (exp − iat): ask for a shorter-lived one.`,
        undefined,
        challenge('invalid_token'),
      );
    const parsed = principalSchema.safeParse(payload);
    if (!parsed.success) throw new ApiProblem('unauthorized', 'The bearer token does not carry a valid role and subject.');
    return parsed.data;
  } catch (error) {
    if (error instanceof ApiProblem) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new ApiProblem('unauthorized', 'The bearer token has expired.', undefined, challenge('invalid_token'));
    throw new ApiProblem('unauthorized', 'The bearer token is invalid.', undefined, challenge('invalid_token'));
  }
}

function challenge(error?: string): Record<string, string> {
  return { 'WWW-Authenticate': error ? `Bearer realm="social-wallet", error="${error}"` : 'Bearer realm="social-wallet"' };
}

/** Reads `Authorization: Bearer …`; undefined when absent. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  if (!match) throw new ApiProblem('unauthorized', 'The Authorization header must be "Bearer <token>".', undefined, challenge('invalid_request'));
  return match[1];
}

/**
 * Tokens verified per process (least recently used out). A till or a canteen device sends the same
 * token with every request: its HMAC, issuer, audience and subject are checked once; each use
 * after that checks only the expiry against the Clock, as jose would. A cached entry is never
 * kept past the token's `exp`.
 */
export const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/** A verified token: its principal and its expiry (seconds), for the authenticator's cache. */
export interface VerifiedToken {
  readonly principal: Principal;
  readonly expSeconds: number;
}

export interface AuthenticatorOptions {
  /** Verified tokens held (0: verify every time). */
  readonly capacity?: number;
  readonly maxLifetimeSeconds?: number;
  /**
   * Verifies a token instead of HS256 with the shared key: the OpenID Connect provider's JWKS
   * (api/oidc.ts), which production uses. The shared key is then not accepted at all.
   */
  readonly verifier?: (token: string) => Promise<VerifiedToken>;
}

/** Bearer header → principal: 401 problems for a missing, malformed, bad, expired or too long-lived token. */
export function createAuthenticator(key: Uint8Array, clock: Clock, options: AuthenticatorOptions = {}): (header: string | undefined) => Promise<Principal> {
  const capacity = options.capacity ?? VERIFIED_TOKEN_CACHE_ENTRIES;
  const maxLifetimeSeconds = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const verifyOne =
    options.verifier ??
    (async (token: string): Promise<VerifiedToken> => ({ principal: await verifyToken(key, token, clock, maxLifetimeSeconds), expSeconds: expOf(token) }));
  const verified = capacity > 0 ? new LRUCache<string, VerifiedToken>({ max: capacity }) : undefined;
  return async (header) => {
    const token = bearerOf(header);
    if (!token) throw new ApiProblem('unauthorized', 'This route needs a bearer token.', undefined, challenge());
    const held = verified?.get(token);
    if (held) {
      // jose's rule: a token is expired when exp ≤ now (seconds).
      if (held.expSeconds > Math.floor(clock.now().getTime() / 1000)) return held.principal;
      verified!.delete(token);
    }
    const fresh = await verifyOne(token);
    verified?.set(token, fresh);
    return fresh.principal;
  };
}

/** The `exp` claim of a token whose signature was just verified (required by verifyToken). */
function expOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { exp: number };
  return payload.exp;
}

export function requireRole<R extends Role>(principal: Principal, roles: readonly R[]): PrincipalOf<R> {
  if (!(roles as readonly Role[]).includes(principal.role)) throw new ApiProblem('forbidden', 'Your role may not use this route.');
  return principal as PrincipalOf<R>;
}

/** A pedagogue or a device naming another school than its own. */
export function requireSameSchool(principal: { schoolId: string }, schoolId: string): void {
  if (principal.schoolId !== schoolId) throw new ApiProblem('forbidden', 'This school is not yours.');
}

/** The audit actor written into event metadata: role and the subject's most specific id. */
export function actorOf(principal: Principal): { role: string; id: string } {
  switch (principal.role) {
    case 'citizen':
      return { role: principal.role, id: principal.personId };
    case 'merchant':
      return { role: principal.role, id: principal.shopId };
    case 'canteen-device':
      return { role: principal.role, id: principal.deviceId };
    default:
      return { role: principal.role, id: principal.sub };
  }
}

/** The key rate limits count by: one bucket per token subject. */
export function clientKeyOf(principal: Principal): string {
  return `${principal.role}:${principal.sub}`;
}
